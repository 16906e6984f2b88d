// fusefs_bench [--quick] [--hello PATH]: the monitor tree and its FUSE mount, measured.
//   - append throughput into the tree with persistence on (lines/s)
//   - sequential read of a 256 MiB log through the mount vs `cat` of the persisted file
//   - stat and 4 KiB pread latency on the mount vs libfuse's hello_ll example (--hello)
//   - append-to-visible latency for a reader polling read() until EOF (p50/p99)
// Prints Markdown. Run as a user who can mount FUSE; uses a folder under $TMPDIR.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/fuse/mount.h"
#include "fusefs/tree/tree.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using zinnia::fusefs::Stream;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int run(std::vector<std::string> args, const char* out = "/dev/null") {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}

// Best of n wall-clock runs of a command.
double best_of(int n, const std::vector<std::string>& args) {
  double best = 1e9;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    run(args);
    best = std::min(best, secs(Clock::now() - t0));
  }
  return best;
}

struct Lat {
  double p50, p99, mean;
};
Lat summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {v[v.size() / 2], v[v.size() * 99 / 100], sum / static_cast<double>(v.size())};
}

// stat() and 4 KiB pread() latencies in microseconds on one file.
std::pair<Lat, Lat> stat_and_read(const fs::path& file, off_t off, int n) {
  std::vector<double> st_lat, rd_lat;
  struct stat st {};
  char buf[4096];
  int fd = ::open(file.c_str(), O_RDONLY);
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    ::stat(file.c_str(), &st);
    auto t1 = Clock::now();
    [[maybe_unused]] auto r = ::pread(fd, buf, sizeof(buf), off);
    auto t2 = Clock::now();
    st_lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    rd_lat.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  ::close(fd);
  return {summarize(st_lat), summarize(rd_lat)};
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string hello;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--hello") == 0 && i + 1 < argc) hello = argv[++i];
  }
  std::string tmpl = (fs::temp_directory_path() / "zinnia-fuse-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return 1;
  const fs::path dir = tmpl, mnt = dir / "mnt";
  zinnia::fusefs::TreeOptions o;
  o.spin_root = dir / "spin";
  o.app = "bench";
  o.rotate_bytes = std::uint64_t{4} << 30;
  zinnia::fusefs::Tree tree(o);
  for (const char* c : {"big", "t1", "t2", "poll"}) tree.add_component(c);

  // 1. Append throughput with persistence: 80-byte lines, flushed every 100 lines (a turn)
  // and every line (worst case).
  const std::string line(79, 'x');
  for (auto [name, every] : {std::pair{"t1", 100}, std::pair{"t2", 1}}) {
    auto log = tree.log(name, Stream::kStdout);
    const int n = quick ? 100'000 : (every == 1 ? 500'000 : 2'000'000);
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      log->append(line + "\n");
      if (i % every == every - 1) log->flush();
    }
    log->flush();
    std::printf("- append throughput, 80-byte lines, flush every %d line(s): %.2f M lines/s\n",
                every, n / secs(Clock::now() - t0) / 1e6);
  }

  // 2. A 256 MiB log, read sequentially through the mount and from the persisted file.
  const std::size_t total = quick ? (32u << 20) : (256u << 20);
  {
    auto log = tree.log("big", Stream::kStdout);
    std::string chunk;
    for (int i = 0; chunk.size() < (1u << 20); ++i) chunk += "log line " + std::to_string(i) + "\n";
    chunk.resize(1u << 20);
    for (std::size_t w = 0; w < total; w += chunk.size()) log->append(chunk);
    log->flush();
  }
  auto mount = std::make_unique<zinnia::fusefs::Mount>(tree, mnt);
  const fs::path live = mnt / "monitor/logs/big/stdout.txt";
  const fs::path persisted = o.spin_root / "bench/logs/big/stdout.txt";
  run({"cat", persisted.string()});  // warm the page cache
  const double t_disk = best_of(3, {"cat", persisted.string()});
  const double t_mount = best_of(3, {"cat", live.string()});
  const double mib = static_cast<double>(total) / (1 << 20);
  std::printf(
      "- sequential read of %.0f MiB: `cat` of the persisted file %.0f MiB/s, `cat` "
      "through the mount %.0f MiB/s (%.2fx)\n",
      mib, mib / t_disk, mib / t_mount, t_disk / t_mount);
  {
    int fd = ::open(live.c_str(), O_RDONLY);
    std::vector<char> buf(1 << 20);
    auto t0 = Clock::now();
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
    std::printf("- read(2) with a 1 MiB buffer through the mount: %.0f MiB/s\n",
                mib / secs(Clock::now() - t0));
  }

  // 3. stat and 4 KiB pread latency.
  const int n = quick ? 2000 : 20000;
  auto [zs_old, zr_old] = stat_and_read(live, 4096, n);  // old bytes: from the file
  auto [zs, zr] = stat_and_read(live, static_cast<off_t>(total - 4096), n);  // in the window
  std::printf(
      "- zinnia mount: stat p50 %.1f us (mean %.1f); 4 KiB pread p50 %.1f us (p99 %.1f) "
      "from the memory window, %.1f us (p99 %.1f) from the persisted file\n",
      zs.p50, zs.mean, zr.p50, zr.p99, zr_old.p50, zr_old.p99);
  if (!hello.empty()) {
    const fs::path hm = dir / "hello";
    fs::create_directories(hm);
    pid_t pid;
    std::vector<std::string> args = {hello, "-f", hm.string()};
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    if (posix_spawn(&pid, hello.c_str(), nullptr, nullptr, av.data(), environ) == 0) {
      struct stat st {};
      for (int i = 0; i < 500 && ::stat((hm / "hello").c_str(), &st) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      auto [hs, hr] = stat_and_read(hm / "hello", 0, n);
      std::printf(
          "- libfuse hello_ll (multithreaded, page cache, attr timeout 1 s): stat p50 "
          "%.1f us (mean %.1f); 4 KiB pread p50 %.1f us (p99 %.1f)\n",
          hs.p50, hs.mean, hr.p50, hr.p99);
      ::kill(pid, SIGTERM);
      int status;
      ::waitpid(pid, &status, 0);
      ::umount2(hm.c_str(), MNT_DETACH);
    }
  }

  // 4. Append-to-visible: a reader polls read() until EOF on the live file.
  {
    auto log = tree.log("poll", Stream::kStdout);
    const int samples = quick ? 500 : 5000;
    std::vector<Clock::time_point> sent(samples), seen(samples);
    std::atomic<int> published{0};
    std::thread reader([&] {
      int fd = ::open((mnt / "monitor/logs/poll/stdout.txt").c_str(), O_RDONLY);
      std::size_t got = 0;
      char buf[4096];
      int next = 0;
      while (next < samples) {
        ssize_t r = ::read(fd, buf, sizeof(buf));
        if (r <= 0) continue;
        auto now = Clock::now();
        got += static_cast<std::size_t>(r);
        while (next < samples && got >= static_cast<std::size_t>(next + 1) * 16)
          seen[static_cast<std::size_t>(next++)] = now;
      }
      ::close(fd);
    });
    for (int i = 0; i < samples; ++i) {
      char l[17];
      std::snprintf(l, sizeof(l), "%015d\n", i);
      sent[static_cast<std::size_t>(i)] = Clock::now();
      log->append(std::string_view(l, 16));
      log->flush();
      ++published;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    reader.join();
    std::vector<double> lat;
    for (int i = 0; i < samples; ++i)
      lat.push_back(std::chrono::duration<double, std::micro>(seen[static_cast<std::size_t>(i)] -
                                                              sent[static_cast<std::size_t>(i)])
                        .count());
    Lat l = summarize(lat);
    std::printf(
        "- append-to-visible (append+flush, reader polling read() until EOF on the "
        "mount, %d samples): p50 %.0f us, p99 %.0f us\n",
        samples, l.p50, l.p99);
  }
  mount.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
