// Issue 19 #1 and #3 against a real zinniad: memory outside the V8 heap and the output
// queues are bounded, so one module cannot grow the process without end.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_harness.h"
#include "tests/support/eventually.h"
#include "tests/support/require.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;

// AddressSanitizer's shadow memory and its 64 MiB quarantine (scripts/test-asan) add to RSS.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kSanitizerSlack = std::size_t{256} << 20;
#else
constexpr std::size_t kSanitizerSlack = 0;
#endif

// VmRSS of `pid` in bytes (0 once it is gone).
std::size_t vm_rss(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib << 10;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

std::string tail_of(const fs::path& p, std::size_t n) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t from = size > n ? size - n : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(size - from, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

constexpr std::string_view kSibling = R"js(
  let n = 0;
  setInterval(() => console.log(`sibling ${n++}`), 20);
)js";

// A module keeps ArrayBuffers past its external limit (swallowing the RangeErrors): it is
// stopped and reported as out of memory and restarted, the sibling keeps logging, and the
// process's RSS stays near the limit instead of following the 1 GiB the module asks for.
TEST(MemoryBounds, ExternalMemoryPastTheLimitStopsTheModuleAndTheSiblingLogsOn) {
  Daemon d{true};
  d.env["ZINNIA_HEAP_LIMIT_MB"] = "64";
  d.module("sibling", kSibling);
  d.module("hog", R"js(
    const keep = [];
    for (let i = 0; i < 1024; i++) {
      try { const b = new Uint8Array(1 << 20); b.fill(7); keep.push(b); } catch {}
    }
    console.log("hog went on with", keep.length, "MiB");
    setTimeout(() => {}, 1e9);
  )js");
  Process daemon(d.argv({"sibling", "hog"}, false), d.env);
  std::size_t peak = 0;
  auto reports = [&] {
    peak = std::max(peak, vm_rss(daemon.pid()));
    const std::string e = daemon.err();
    std::size_t count = 0;
    for (std::size_t at = 0;
         (at = e.find("out of memory (external memory limit 64 MiB", at)) != std::string::npos;
         ++at)
      ++count;
    return count >= 2;  // stopped, restarted, stopped again
  };
  EXPECT_TRUE(eventually(reports, 30s, 20ms)) << daemon.err().substr(0, 2000);
  EXPECT_EQ(daemon.err().find("hog went on"), std::string::npos) << "the hog was not stopped";
  // The sibling logs on.
  const auto lines = [&] { return split_lines(read_file(d.log("sibling"))).size(); };
  const std::size_t before = lines();
  EXPECT_TRUE(eventually([&] { return lines() > before + 5; }, 10s));
  std::printf("peak VmRSS %zu MiB\n", peak >> 20);
  // Two isolates (64 MiB heap limit each), the hog's 64 MiB of buffers, V8 and the daemon.
  EXPECT_LT(peak, (std::size_t{400} << 20) + kSanitizerSlack);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

// Nobody reads stdout or stderr and a module prints 10 MiB console lines and 1 MiB activity
// messages: the queues are bounded in bytes, so RSS stays flat; the lines are persisted, and
// the drops are reported once stderr is read again.
TEST(MemoryBounds, StalledStationAndTenMiBLinesKeepRssFlat) {
  Daemon d;
  d.env["ZINNIA_ROTATE_MB"] = "64";
  d.module("big", R"js(
    const line = "x".repeat(10 << 20);
    const message = "y".repeat(1 << 20);
    let n = 0;
    const t = setInterval(() => {
      console.log(line);
      Zinnia.activity.info(message);
      if (++n === 48) { clearInterval(t); console.log("finished"); }
    }, 20);
    setInterval(() => {}, 1000);  // stays, so the daemon does too
  )js");
  Process daemon(d.argv({"big"}, false), d.env,
                 {.cwd = {}, .read_stdout = false, .read_stderr = false});
  std::size_t peak = 0;
  const bool finished = eventually(
      [&] {
        peak = std::max(peak, vm_rss(daemon.pid()));
        return tail_of(d.log("big"), 64).find("finished\n") != std::string::npos;
      },
      120s, 20ms);  // 18 s alone under ASan; over 60 s once beside a clang-tidy run
  ASSERT_TRUE(finished) << "the module did not get through its 48 lines";
  std::printf("peak VmRSS %zu MiB after 480 MiB of console lines and 48 MiB of activity\n",
              peak >> 20);
  // Unbounded, the queues held every line: 480 MiB and more.
  EXPECT_LT(peak, (std::size_t{300} << 20) + kSanitizerSlack);
  daemon.start_reading_stdout();
  daemon.start_reading_stderr();
  EXPECT_TRUE(daemon.wait_err(
      [](const std::string& e) { return e.find(" log records were dropped") != std::string::npos; },
      20s))
      << daemon.err().size() << " bytes on stderr; the last: "
      << daemon.err().substr(daemon.err().size() > 300 ? daemon.err().size() - 300 : 0);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

// A TCP listener that never accepts: every connection to it stays open (and pending).
struct Tarpit {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = 0;
  Tarpit() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 4096) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len))
      return;
    port = ntohs(addr.sin_port);
  }
  ~Tarpit() {
    if (fd >= 0) ::close(fd);
  }
};

std::uint64_t state_jobs(const fs::path& state) {
  try {
    const auto j = nlohmann::json::parse(read_file(state));
    std::uint64_t total = 0;
    for (const auto& [name, v] : j.at("modules").items()) total += v.get<std::uint64_t>();
    return total;
  } catch (const std::exception&) {
    return 0;
  }
}

// A module opens 3,000 fetches that never complete: its sockets stay within its budget, and
// the sibling keeps logging (across rotations) and its job totals keep reaching state.json.
TEST(MemoryBounds, ThreeThousandFetchesLeaveTheSiblingItsFds) {
  Tarpit tarpit;
  ASSERT_GT(tarpit.port, 0) << std::strerror(errno);
  Daemon d;
  d.env["ZINNIA_ROTATE_MB"] = "1";
  d.module("sibling", R"js(
    const pad = "p".repeat(4000);
    let n = 0;
    setInterval(() => { console.log(`sibling ${n++} ${pad}`); Zinnia.jobCompleted(); }, 5);
  )js");
  d.module("fetcher", "const port = " + std::to_string(tarpit.port) + R"js(;
    for (let i = 0; i < 3000; i++) fetch(`http://127.0.0.1:${port}/${i}`).catch(() => {});
    console.log("fetches started");
    setInterval(() => {}, 1000);
  )js");
  Process daemon(d.argv({"sibling", "fetcher"}, false), d.env);
  ASSERT_TRUE(daemon.wait_err(
      [](const std::string& e) { return e.find("fetches started") != std::string::npos; }, 30s));
  std::size_t peak = 0;
  const fs::path rotated = d.log("sibling").string() + ".1";
  const std::uint64_t jobs_before = state_jobs(d.state());
  // Two more rotations of the sibling's log and more jobs persisted, fds sampled throughout.
  ino_t rotated_ino = 0;
  int rotations = 0;
  EXPECT_TRUE(eventually(
      [&] {
        peak = std::max(peak, open_fds(daemon.pid()));
        struct stat st {};
        if (::stat(rotated.c_str(), &st) == 0 && st.st_ino != rotated_ino) {
          rotated_ino = st.st_ino;
          ++rotations;
        }
        return rotations >= 2 && state_jobs(d.state()) > jobs_before + 200;
      },
      60s, 20ms))
      << "rotations " << rotations << ", jobs " << state_jobs(d.state()) << " from " << jobs_before
      << "\n"
      << daemon.err().substr(0, 2000);
  std::printf("peak open fds %zu with 3,000 fetches pending\n", peak);
  EXPECT_LT(peak, 300u) << "fetch sockets are not bounded per module";
  const auto lines = split_lines(read_file(d.log("sibling")));
  EXPECT_FALSE(lines.empty());
  EXPECT_EQ(daemon.err().find("Too many open files"), std::string::npos);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

// An HTTP server with three moods: "wait" (answers at once), "hold" (accepts and never
// answers, so each fetch keeps its socket) and "stop" (answers "stop" to every connection,
// held ones included).
class Gate {
 public:
  enum Mood { kWait, kHold, kStop };
  Gate() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 4096) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len))
      return;
    port = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Gate() {
    done_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  void set(Mood m) {
    std::lock_guard lock(mu_);
    mood_ = m;
    if (m != kStop) return;
    for (int c : held_) answer(c, "stop");
    held_.clear();
  }
  int port = 0;

 private:
  static void answer(int c, const std::string& body) {
    char buf[4096];
    std::string req;
    while (req.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
    }
    const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body;
    [[maybe_unused]] auto sent = ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    ::close(c);
  }
  void serve() {
    while (!done_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      std::lock_guard lock(mu_);
      if (mood_ == kHold)
        held_.push_back(c);
      else
        answer(c, mood_ == kWait ? "wait" : "stop");
    }
  }
  int fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::atomic<bool> done_{false};
  std::mutex mu_;
  Mood mood_ = kWait;
  std::vector<int> held_;
  std::thread thread_;
};

// fds of `pid` open on /dev/null: the reserve.
std::size_t null_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    if (fs::read_symlink(it->path(), ec) == "/dev/null") ++n;
  return n;
}

// Under a hard limit of 256 fds, five modules' held fetches take every fd the process has:
// the sibling's log still rotates and its job totals still reach state.json (the reserve
// lends them slots), and once the fetches end the reserve is whole again (issue 19 #5).
TEST(MemoryBounds, PersistenceKeepsItsFdsWhenModulesTakeEveryOther) {
  constexpr std::size_t kLimit = 256;
  Gate gate;
  ASSERT_GT(gate.port, 0) << std::strerror(errno);
  Daemon d;
  d.env["ZINNIA_ROTATE_MB"] = "1";
  d.module("sibling", R"js(
    const pad = "p".repeat(4000);
    let n = 0;
    setInterval(() => { console.log(`sibling ${n++} ${pad}`); Zinnia.jobCompleted(); }, 5);
  )js");
  std::vector<std::string> names = {"sibling"};
  for (int i = 0; i < 5; ++i) {
    names.push_back("hog" + std::to_string(i));
    // 64 workers (the module's socket budget) fetch until the gate says "stop"; a failed
    // fetch (no fd left) is tried again.
    d.module(names.back(), "const url = 'http://127.0.0.1:" + std::to_string(gate.port) + R"js(/';
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      let running = 64;
      async function worker() {
        for (;;) {
          const r = await fetch(url).then((res) => res.text(), (e) => String(e));
          if (r === "stop") break;
          await sleep(r === "wait" ? 20 : 50);
        }
        if (--running === 0) console.log("hog done");
      }
      for (let i = 0; i < 64; i++) worker();
      console.log("hog up");
    )js");
  }
  std::vector<std::string> argv = d.argv(names, false);
  argv.insert(argv.begin(),
              {"/usr/bin/prlimit",
               "--nofile=" + std::to_string(kLimit) + ":" + std::to_string(kLimit), "--"});
  Process daemon(argv, d.env);
  // Every module up (the hogs' first answers are "wait") before the hogs hold their fetches.
  auto all_hogs_say = [&](const std::string& what) {
    for (const auto& n : names)
      if (n != "sibling" && read_file(d.log(n)).find(what) == std::string::npos) return false;
    return true;
  };
  ASSERT_TRUE(eventually([&] { return all_hogs_say("hog up") && state_jobs(d.state()) > 20; }, 30s))
      << daemon.err().substr(0, 2000);
  gate.set(Gate::kHold);
  ASSERT_TRUE(eventually([&] { return open_fds(daemon.pid()) >= kLimit; }, 30s))
      << "fds " << open_fds(daemon.pid()) << "\n"
      << daemon.err().substr(0, 2000);

  // With no fd free: two more rotations of the sibling's log and more jobs in state.json.
  const fs::path rotated = d.log("sibling").string() + ".1";
  auto rotations_and_jobs = [&](int want_rotations, std::uint64_t want_jobs) {
    ino_t ino = 0;
    int rotations = -1;
    return eventually(
        [&] {
          struct stat st {};
          if (::stat(rotated.c_str(), &st) == 0 && st.st_ino != ino) {
            ino = st.st_ino;
            ++rotations;
          }
          return rotations >= want_rotations && state_jobs(d.state()) > want_jobs;
        },
        30s, 20ms);
  };
  const std::uint64_t jobs_exhausted = state_jobs(d.state());
  EXPECT_TRUE(rotations_and_jobs(2, jobs_exhausted + 200))
      << "fds " << open_fds(daemon.pid()) << ", jobs " << state_jobs(d.state()) << " from "
      << jobs_exhausted << "\n"
      << daemon.err().substr(0, 2000);
  EXPECT_GE(open_fds(daemon.pid()), kLimit - 4) << "the hogs no longer hold every fd";
  EXPECT_EQ(daemon.err().find("cannot persist job totals"), std::string::npos)
      << daemon.err().substr(0, 2000);

  // The hogs stop: the reserve fills up again and persistence goes on.
  gate.set(Gate::kStop);
  EXPECT_TRUE(eventually([&] { return all_hogs_say("hog done"); }, 30s));
  const std::uint64_t jobs_after = state_jobs(d.state());
  EXPECT_TRUE(rotations_and_jobs(1, jobs_after + 100));
  // 16 slots, the copy source and stdin.
  EXPECT_TRUE(eventually([&] { return null_fds(daemon.pid()) >= 18; }, 10s))
      << null_fds(daemon.pid()) << " fds on /dev/null";
  EXPECT_LT(open_fds(daemon.pid()), kLimit - 100);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
}

// 200 plain modules run under a soft fd limit of 1024 (only 153 did: zinniad now raises
// the soft limit to the hard one).
TEST(MemoryBounds, TwoHundredModulesRunUnderASoftLimitOf1024) {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_max < 4096) {  // root may raise it; anyone else needs a machine that has it
    rlimit raised{lim.rlim_cur, 4096};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  ZINNIA_REQUIRE(lim.rlim_max >= 4096,
                 "a hard fd limit of at least 4096 (it is " + std::to_string(lim.rlim_max) + ")");
  const rlimit saved = lim;
  lim.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);  // zinniad inherits it
  Daemon d;
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "m%03d", i);
    names.emplace_back(name);
    d.module(name, "console.log('up'); setInterval(() => {}, 1e6);\n");
  }
  Process daemon(d.argv(names, false), d.env);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  std::size_t up = 0;
  EXPECT_TRUE(eventually(
      [&] {
        up = 0;
        for (const auto& n : names)
          if (read_file(d.log(n)).find("up\n") != std::string::npos) ++up;
        return up == names.size();
      },
      120s, 200ms))
      << up << " of 200 modules ran\n"
      << daemon.err().substr(0, 1500);
  std::printf("200 modules: %zu fds open\n", open_fds(daemon.pid()));
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace zinnia::testing
