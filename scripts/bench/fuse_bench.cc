// fusefs_bench [--quick] [--rounds N] [--hello PATH] [--passthrough PATH]
//               [--kernel-passthrough PATH] [--only read,ops,append,visible]:
// the monitor tree and its FUSE mount, measured. Sections:
//   append   append throughput into the tree with persistence on (lines/s)
//   read     sequential read of a 256 MiB log through the mount vs `cat` of the persisted
//            file, alternating A B A B for N rounds
//            and, with --passthrough, `cat` through libfuse's passthrough_ll example serving
//            the persisted file's folder with cache=never (direct_io, as our logs are)
//   ops      stat and 4 KiB pread latency on the mount vs libfuse's hello_ll example (--hello),
//            and a 4 KiB pread through passthrough_ll with cache=never (--passthrough);
//            with --kernel-passthrough (fuse_passthrough_probe, as root, by hand) read and ops
//            also measure the persisted log served by kernel FUSE passthrough,
//            alternating batches for N rounds
//   visible  append-to-visible latency for a reader polling read() until EOF (p50/p99)
// Prints one line per figure: "<section> <figure> <value>" (scripts/bench/run parses them).
// Run as a user who can mount FUSE; uses a folder under $TMPDIR.
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
#include <set>
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

// A failed step (its message already printed): unwinds, so the mount is unmounted (a bare
// exit() would leave a stale mount behind).
struct Failed {};

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void figure(const char* section, const char* name, double value) {
  std::printf("%s %s %.3f\n", section, name, value);
  std::fflush(stdout);
}

int run(std::vector<std::string> args, const char* out = "/dev/null") {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}

double timed(const std::vector<std::string>& args) {
  auto t0 = Clock::now();
  if (run(args) != 0) {
    std::fprintf(stderr, "fusefs_bench: %s failed\n", args[0].c_str());
    throw Failed{};
  }
  return secs(Clock::now() - t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
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
  if (fd < 0) {
    std::fprintf(stderr, "fusefs_bench: open %s: %s\n", file.c_str(), std::strerror(errno));
    throw Failed{};
  }
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

// stat latency in microseconds with nothing between the calls (a direct_io pread between
// stats is a round trip that leaves the caches cold), by name from the file's folder: one
// path component on either mount (ours is four deep, hello_ll's one).
Lat stat_only(const fs::path& file, int n) {
  std::vector<double> lat;
  struct stat st {};
  int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0) {
    std::fprintf(stderr, "fusefs_bench: open %s: %s\n", file.parent_path().c_str(),
                 std::strerror(errno));
    throw Failed{};
  }
  const std::string name = file.filename().string();
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    ::fstatat(dir, name.c_str(), &st, 0);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  ::close(dir);
  return summarize(lat);
}

// A FUSE server in a child process (libfuse's hello_ll or passthrough_ll in the foreground,
// or fuse_passthrough_probe): `exe args... mountpoint`; ready once `file` (relative to the
// mountpoint) can be stat()ed.
class PeerMount {
 public:
  PeerMount(const std::string& exe, std::vector<std::string> options, fs::path mnt,
            const std::string& file)
      : mnt_(std::move(mnt)), file_(mnt_ / file) {
    fs::create_directories(mnt_);
    std::vector<std::string> args = {exe};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(mnt_.string());
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    if (posix_spawn(&pid_, exe.c_str(), nullptr, nullptr, av.data(), environ) != 0) {
      std::fprintf(stderr, "fusefs_bench: cannot start %s\n", exe.c_str());
      throw Failed{};
    }
    struct stat st {};
    for (int i = 0; i < 500 && ::stat(file_.c_str(), &st) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::stat(file_.c_str(), &st) != 0) {
      std::fprintf(stderr, "fusefs_bench: %s did not mount %s\n", exe.c_str(), file_.c_str());
      stop();
      throw Failed{};
    }
  }
  ~PeerMount() { stop(); }
  PeerMount(const PeerMount&) = delete;
  PeerMount& operator=(const PeerMount&) = delete;
  const fs::path& file() const { return file_; }

 private:
  void stop() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
    ::umount2(mnt_.c_str(), MNT_DETACH);
    pid_ = -1;
  }
  fs::path mnt_;
  fs::path file_;
  pid_t pid_ = -1;
};

}  // namespace

int bench(int argc, char** argv);

int main(int argc, char** argv) {
  try {
    return bench(argc, argv);
  } catch (const Failed&) {
    return 1;
  }
}

int bench(int argc, char** argv) {
  bool quick = false;
  int rounds = 0;
  std::string hello, passthrough, kernel_passthrough;
  std::set<std::string> only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--hello") == 0 && i + 1 < argc) hello = argv[++i];
    if (std::strcmp(argv[i], "--passthrough") == 0 && i + 1 < argc) passthrough = argv[++i];
    if (std::strcmp(argv[i], "--kernel-passthrough") == 0 && i + 1 < argc)
      kernel_passthrough = argv[++i];
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      std::string list = argv[++i];
      for (std::size_t p = 0; p <= list.size();) {
        std::size_t c = std::min(list.find(',', p), list.size());
        only.insert(list.substr(p, c - p));
        p = c + 1;
      }
    }
  }
  if (rounds <= 0) rounds = quick ? 1 : 5;
  auto want = [&](const char* s) { return only.empty() || only.count(s) > 0; };
  std::string tmpl = (fs::temp_directory_path() / "zinnia-fuse-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return 1;
  const fs::path dir = tmpl, mnt = dir / "mnt";
  zinnia::fusefs::TreeOptions o;
  o.spin_root = dir / "spin";
  o.app = "bench";
  o.rotate_bytes = std::uint64_t{4} << 30;
  zinnia::fusefs::Tree tree(o);
  for (const char* c : {"big", "small", "t1", "t2", "poll"}) tree.add_component(c);

  // append: 80-byte lines, flushed every 100 lines (a turn) and every line (worst case).
  if (want("append")) {
    const std::string line(79, 'x');
    for (auto [name, every] : {std::pair{"t1", 100}, std::pair{"t2", 1}}) {
      auto log = tree.log(name, Stream::kStdout);
      const int n = quick ? 50'000 : (every == 1 ? 500'000 : 2'000'000);
      auto t0 = Clock::now();
      for (int i = 0; i < n; ++i) {
        log->append(line + "\n");
        if (i % every == every - 1) log->flush();
      }
      log->flush();
      figure("append", every == 1 ? "lines_per_s_flush_every_line" : "lines_per_s_flush_every_100",
             n / secs(Clock::now() - t0));
    }
  }

  // A big log (mostly on disk, its last 1 MiB in memory) and a small one (all in memory).
  const std::size_t total = quick ? (32u << 20) : (256u << 20);
  if (want("read") || want("ops")) {
    auto log = tree.log("big", Stream::kStdout);
    std::string chunk;
    for (int i = 0; chunk.size() < (1u << 20); ++i) chunk += "log line " + std::to_string(i) + "\n";
    chunk.resize(1u << 20);
    for (std::size_t w = 0; w < total; w += chunk.size()) log->append(chunk);
    log->flush();
    auto small = tree.log("small", Stream::kStdout);
    small->append(std::string(64 << 10, 'y'));
    small->flush();
  }
  auto mount = std::make_unique<zinnia::fusefs::Mount>(tree, mnt);
  const fs::path live = mnt / "monitor/logs/big/stdout.txt";
  const fs::path persisted = o.spin_root / "bench/logs/big/stdout.txt";

  // passthrough_ll serving the persisted log's folder: direct_io (cache=never) like our logs,
  // attributes cached (timeout=1) like ours, so its reads are the same round trip.
  // With cache=always its reads go through the kernel's page cache instead: once cached, the
  // most any FUSE server's reads can be on this kernel.
  auto mount_passthrough = [&](const char* name,
                               const char* cache = "never") -> std::unique_ptr<PeerMount> {
    if (passthrough.empty()) return nullptr;
    return std::make_unique<PeerMount>(
        passthrough,
        std::vector<std::string>{
            "-f", "-o",
            "source=" + persisted.parent_path().string() + ",cache=" + cache + ",timeout=1"},
        dir / name, persisted.filename().string());
  };

  // fuse_passthrough_probe (root only, by hand): the persisted log served by kernel FUSE
  // passthrough, whose reads never reach a server.
  auto mount_kernel_passthrough = [&](const char* name) -> std::unique_ptr<PeerMount> {
    if (kernel_passthrough.empty()) return nullptr;
    return std::make_unique<PeerMount>(
        kernel_passthrough, std::vector<std::string>{persisted.string()}, dir / name, "file");
  };

  // read: `cat` (the way people read logs) of the mount and of the persisted file, A B A B.
  if (want("read")) {
    const double mib = static_cast<double>(total) / (1 << 20);
    std::unique_ptr<PeerMount> pt = mount_passthrough("passthrough");
    std::unique_ptr<PeerMount> ptc = mount_passthrough("passthrough-cached", "always");
    std::unique_ptr<PeerMount> kpt = mount_kernel_passthrough("kernel-passthrough");
    timed({"cat", persisted.string()});             // warm the page cache
    if (ptc) timed({"cat", ptc->file().string()});  // and the mount's own
    std::vector<double> disk, via_mount, via_pt, via_ptc, via_kpt;
    for (int r = 0; r < rounds; ++r) {
      disk.push_back(timed({"cat", persisted.string()}));
      via_mount.push_back(timed({"cat", live.string()}));
      if (pt) via_pt.push_back(timed({"cat", pt->file().string()}));
      if (ptc) via_ptc.push_back(timed({"cat", ptc->file().string()}));
      if (kpt) via_kpt.push_back(timed({"cat", kpt->file().string()}));
    }
    figure("read", "size_mib", mib);
    figure("read", "file_mib_s", mib / median(disk));
    figure("read", "mount_mib_s", mib / median(via_mount));
    figure("read", "ratio_mount_vs_file", median(disk) / median(via_mount));
    if (pt) {
      figure("read", "passthrough_mib_s", mib / median(via_pt));
      figure("read", "ratio_passthrough_vs_file", median(disk) / median(via_pt));
      figure("read", "passthrough_cached_mib_s", mib / median(via_ptc));
      figure("read", "ratio_passthrough_cached_vs_file", median(disk) / median(via_ptc));
    }
    if (kpt) {
      figure("read", "kernel_passthrough_mib_s", mib / median(via_kpt));
      figure("read", "ratio_kernel_passthrough_vs_file", median(disk) / median(via_kpt));
    }
  }

  // ops: batches of stat + 4 KiB pread, the zinnia mount, hello_ll and passthrough_ll
  // alternating.
  if (want("ops")) {
    const int n = quick ? 1000 : 10000;
    std::unique_ptr<PeerMount> h;
    if (!hello.empty())
      h = std::make_unique<PeerMount>(hello, std::vector<std::string>{"-f"}, dir / "hello",
                                      "hello");
    std::unique_ptr<PeerMount> pt = mount_passthrough("passthrough-ops");
    std::unique_ptr<PeerMount> kpt = mount_kernel_passthrough("kernel-passthrough-ops");
    const fs::path small = mnt / "monitor/logs/small/stdout.txt";
    std::vector<double> zs, zr, zr_old, hs, hr, zs_only, hs_only, ptr, kptr;
    for (int r = 0; r < rounds; ++r) {
      auto [s, rd] = stat_and_read(small, 4096, n);  // in the memory window
      zs.push_back(s.p50);
      zr.push_back(rd.p50);
      auto [s2, rd2] = stat_and_read(live, 4096, n);  // old bytes: from the persisted file
      zr_old.push_back(rd2.p50);
      zs_only.push_back(stat_only(small, n).p50);
      if (h) {
        auto [s3, rd3] = stat_and_read(h->file(), 0, n);
        hs.push_back(s3.p50);
        hr.push_back(rd3.p50);
        hs_only.push_back(stat_only(h->file(), n).p50);
      }
      if (pt) ptr.push_back(stat_and_read(pt->file(), 4096, n).second.p50);
      if (kpt) kptr.push_back(stat_and_read(kpt->file(), 4096, n).second.p50);
    }
    figure("ops", "zinnia_stat_p50_us", median(zs));
    figure("ops", "zinnia_pread4k_memory_p50_us", median(zr));
    figure("ops", "zinnia_pread4k_disk_p50_us", median(zr_old));
    if (h) {
      figure("ops", "hello_stat_p50_us", median(hs));
      figure("ops", "hello_pread4k_p50_us", median(hr));
      figure("ops", "ratio_stat_zinnia_vs_hello", median(zs) / median(hs));
      figure("ops", "ratio_pread4k_zinnia_vs_hello", median(zr) / median(hr));
      figure("ops", "zinnia_stat_only_p50_us", median(zs_only));
      figure("ops", "hello_stat_only_p50_us", median(hs_only));
      figure("ops", "ratio_stat_only_zinnia_vs_hello", median(zs_only) / median(hs_only));
    }
    if (pt) {
      figure("ops", "passthrough_pread4k_p50_us", median(ptr));
      figure("ops", "ratio_pread4k_zinnia_vs_passthrough", median(zr) / median(ptr));
    }
    if (kpt) figure("ops", "kernel_passthrough_pread4k_p50_us", median(kptr));
  }

  // visible: a reader polls read() until EOF on the live file; the writer appends + flushes.
  if (want("visible")) {
    auto log = tree.log("poll", Stream::kStdout);
    const int samples = quick ? 300 : 5000;
    std::vector<Clock::time_point> sent(samples), seen(samples);
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
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    reader.join();
    std::vector<double> lat;
    for (int i = 0; i < samples; ++i)
      lat.push_back(std::chrono::duration<double, std::micro>(seen[static_cast<std::size_t>(i)] -
                                                              sent[static_cast<std::size_t>(i)])
                        .count());
    Lat l = summarize(lat);
    figure("visible", "p50_us", l.p50);
    figure("visible", "p99_us", l.p99);
  }
  mount.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
