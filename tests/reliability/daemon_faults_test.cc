// Faults against a real zinniad: SIGKILL during a flood with readers on the mount, stalled
// stdout/stderr consumers and a full disk. (Misbehaving modules: sibling_pace_test.cc.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/daemon_harness.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"
#include "tests/support/require.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "seq=N ..." lines: true when the sequence numbers run 0, 1, 2 ... with no gap or repeat.
// A last line without '\n' (cut by SIGKILL mid-write) is ignored.
::testing::AssertionResult contiguous(const std::string& text, std::size_t* count = nullptr) {
  std::size_t expect = 0;
  for (const auto& line : split_lines(text)) {
    if (line.rfind("seq=", 0) != 0) continue;
    const std::size_t seq = std::stoull(line.substr(4));
    if (seq != expect)
      return ::testing::AssertionFailure() << "expected seq " << expect << ", got: " << line;
    ++expect;
  }
  if (count) *count = expect;
  return ::testing::AssertionSuccess() << expect << " lines";
}

std::uint64_t disk_size(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// The size of `p` once it is past `size`, or at the deadline. Tests wait on sizes, not times:
// a loaded machine, or the sanitizers, run the daemon several times slower.
std::uint64_t size_once_past(const fs::path& p, std::uint64_t size,
                             std::chrono::seconds timeout = 20s) {
  std::uint64_t now = 0;
  eventually([&] { return (now = disk_size(p)) > size; }, timeout, 20ms);
  return now;
}

constexpr std::string_view kFlood = R"js(
  let seq = 0, jobs = 0;
  function burst() {
    for (let i = 0; i < 200; i++) {
      Zinnia.jobCompleted();
      jobs++;
      console.log(`seq=${seq++} jobs=${jobs} t=${Date.now()}`);
    }
    setTimeout(burst, 1);
  }
  burst();
)js";

// SIGKILL while a module floods and readers tail the mount: every byte a reader saw is in
// the persisted file, the job totals lag by at most 200 ms, and the next start recovers the
// stale mount and appends after the old bytes.
TEST(DaemonFaults, SigkillDuringFloodLosesNothingAnyoneSaw) {
  ZINNIA_REQUIRE_FUSE();
  Daemon d;
  MountGuard guard{d.mountpoint()};
  d.module("flood", kFlood);
  Process daemon(d.argv({"flood"}, true), d.env, {});
  ASSERT_TRUE(wait_started(daemon)) << daemon.err();
  const auto flood_start = Clock::now();
  const fs::path live = d.mountpoint() / "monitor/logs/flood/stdout.txt";
  std::vector<std::unique_ptr<Process>> readers;
  for (int i = 0; i < 3; ++i)
    readers.push_back(std::make_unique<Process>(
        std::vector<std::string>{"tail", "-F", "-n", "+1", "-s", "0.05", live.string()},
        current_env(), Process::Options{}));
  // Let the readers see a good number of lines, then kill the daemon mid-flood.
  ASSERT_TRUE(
      readers[0]->wait_out([](const std::string& o) { return count_of(o, "\n") > 20'000; }, 8s))
      << readers[0]->err();
  std::this_thread::sleep_until(flood_start + 1500ms);  // a second of totals to compare
  const std::int64_t killed_at = now_ms();
  daemon.kill(SIGKILL);
  ASSERT_EQ(daemon.wait(), -SIGKILL);
  std::this_thread::sleep_for(300ms);  // the readers drain what they had read
  for (auto& r : readers) r->kill(SIGKILL);

  const std::string persisted = read_file(d.log("flood"));
  std::size_t lines = 0;
  EXPECT_TRUE(contiguous(persisted, &lines));
  for (auto& r : readers) {
    r->wait();
    const std::string seen = r->out();
    ASSERT_GT(seen.size(), 0u);
    ASSERT_LE(seen.size(), persisted.size());
    EXPECT_TRUE(persisted.compare(0, seen.size(), seen) == 0)
        << "a reader saw bytes that are not in the persisted file";
  }

  // state.json holds the totals of at most 200 ms before the kill. Allow 800 ms more for
  // scheduling on a loaded 2-core machine.
  const auto state = nlohmann::json::parse(read_file(d.state_root() / "state.json"));
  const std::uint64_t total = state.at("total").get<std::uint64_t>();
  std::uint64_t jobs_by_deadline = 0, jobs_last = 0;
  for (const auto& line : split_lines(persisted)) {
    const auto j = line.find(" jobs="), t = line.find(" t=");
    if (j == std::string::npos || t == std::string::npos) continue;
    const std::uint64_t jobs = std::stoull(line.substr(j + 6));
    jobs_last = jobs;
    if (std::stoll(line.substr(t + 3)) <= killed_at - 200 - 800) jobs_by_deadline = jobs;
  }
  EXPECT_GT(jobs_by_deadline, 0u);
  EXPECT_GE(total, jobs_by_deadline);
  EXPECT_LE(total, jobs_last + 200) << "totals count jobs that never happened";

  // Restart on the same folders: the stale mount is recovered and the log goes on after the
  // old bytes, on disk and on the mount.
  d.module("flood", "console.log('restarted'); setInterval(() => {}, 1000);\n");
  Process again(d.argv({"flood"}, true), d.env, {});
  ASSERT_TRUE(wait_started(again)) << again.err();
  ASSERT_TRUE(again.wait_out(
      [](const std::string& o) { return o.find("jobs-completed") != std::string::npos; }, 5s));
  const auto first = again.out();
  EXPECT_NE(first.find("\"total\":" + std::to_string(total)), std::string::npos) << first;
  const std::string expected = persisted + "restarted\n";
  eventually([&] { return read_file(d.log("flood")).size() >= expected.size(); }, 5s, 20ms);
  EXPECT_TRUE(read_file(d.log("flood")) == expected);
  EXPECT_TRUE(read_file(live) == expected) << "the mount shows the old bytes and the new line";
  again.kill(SIGTERM);
  EXPECT_EQ(again.wait(), 0) << again.err();
  EXPECT_FALSE(fs::exists(live)) << "the mount goes away on SIGTERM";
}

constexpr std::string_view kChatty = R"js(
  let seq = 0;
  function burst() {
    for (let i = 0; i < 100; i++) {
      console.log(`seq=${seq++} ${"p".repeat(100)}`);
      if (seq % 50 === 0) Zinnia.activity.info(`at ${seq}`);
      Zinnia.jobCompleted();
    }
    setTimeout(burst, 1);
  }
  burst();
)js";

// zinniad running kChatty with a Station that never reads its stdout or stderr.
Process start_stalled(Daemon& d) {
  return Process(d.argv({"chatty"}, false), d.env,
                 {.cwd = {}, .read_stdout = false, .read_stderr = false});
}

// Nobody reads zinniad's stdout and stderr: modules keep running (their output to the pipes
// is bounded and dropped), the persisted logs lose nothing, and once stderr is read again
// the number of dropped records is reported.
TEST(DaemonFaults, StalledPipesNeverBlockModulesAndLoseNothingOnDisk) {
  Daemon d;
  d.module("chatty", kChatty);
  Process daemon = start_stalled(d);
  // Both pipes fill up (64 KiB each) and the stderr queue (8192 records, ~1 MiB) soon after;
  // the module must go on regardless: a blocked module never gets past these sizes.
  const auto s1 = size_once_past(d.log("chatty"), 2u << 20);
  ASSERT_GT(s1, 2u << 20) << "the module is blocked: well past what the pipes and queue hold";
  const auto s2 = size_once_past(d.log("chatty"), s1 + (1u << 20));
  ASSERT_GT(s2, s1 + (1u << 20)) << "the module is blocked on a full pipe";
  ASSERT_TRUE(daemon.running());

  // The consumers come back: the drop count is reported once stderr drains, and stdout
  // carries whole JSON lines only.
  daemon.start_reading_stdout();
  daemon.start_reading_stderr();
  EXPECT_TRUE(daemon.wait_err(
      [](const std::string& e) {
        return e.find("stderr was not being read: ") != std::string::npos &&
               e.find(" log records were dropped") != std::string::npos;
      },
      8s))
      << daemon.err().substr(0, 500);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
  const std::string persisted = read_file(d.log("chatty"));
  EXPECT_TRUE(contiguous(persisted));
  EXPECT_GE(persisted.size(), s2);
  for (const auto& line : split_lines(daemon.out())) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
}

// A Station that stopped reading does not hold the daemon's exit on SIGTERM.
TEST(DaemonFaults, StalledPipesDoNotHoldShutdown) {
  Daemon d;
  d.module("chatty", kChatty);
  Process daemon = start_stalled(d);
  std::this_thread::sleep_for(1000ms);
  const auto stop = Clock::now();
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(std::chrono::seconds(8)), 0);
  EXPECT_LT(Clock::now() - stop, 5s) << "exit waits at most a bounded time for the pipes";
  std::size_t lines = 0;
  EXPECT_TRUE(contiguous(read_file(d.log("chatty")), &lines));
  EXPECT_GT(lines, 1000u);
}

// The spin-root fills up: the daemon keeps running and says so once per stream, the mount
// keeps serving every line from memory, and persisting resumes when space returns.
TEST(DaemonFaults, DiskFullIsReportedOncePerStreamAndPersistingResumes) {
  ZINNIA_REQUIRE_FUSE();
  ZINNIA_REQUIRE(::geteuid() == 0, "needs root to mount a tmpfs");
  Daemon d;
  Tmpfs tmpfs(d.spin_root(), 1 << 20);
  ASSERT_TRUE(tmpfs.ok()) << std::strerror(errno);
  MountGuard guard{d.mountpoint()};
  // Leave about 96 KiB free.
  {
    std::string block(4096, 'f');
    std::ofstream filler(d.spin_root() / "filler", std::ios::binary);
    for (int i = 0; i < (1 << 20) / 4096 - 24; ++i) filler << block;
  }
  d.module("full", R"js(
    let seq = 0;
    setInterval(() => {
      for (let i = 0; i < 8; i++) {
        const line = `seq=${seq++} ${"x".repeat(500)}`;
        console.log(line);
        console.error(line);
      }
    }, 5);
  )js");
  Process daemon(d.argv({"full"}, true), d.env, {});
  ASSERT_TRUE(wait_started(daemon)) << daemon.err();
  const auto full_reported = [](const std::string& e) {
    return count_of(e, "No space left on device") >= 2;
  };
  ASSERT_TRUE(daemon.wait_err(full_reported, 8s)) << daemon.err().substr(0, 2000);
  const fs::path live = d.mountpoint() / "monitor/logs/full/stdout.txt";
  // The live file runs ahead of the persisted one, and its newest bytes read true.
  const auto persisted_size = disk_size(d.log("full"));
  const auto live_size = size_once_past(live, persisted_size + (64u << 10), 8s);
  EXPECT_GT(live_size, persisted_size + (64u << 10)) << daemon.err().substr(0, 2000);
  {
    const std::string tail = read_file(live).substr(live_size - (32u << 10));
    auto lines = split_lines(tail.substr(tail.find('\n') + 1));
    ASSERT_GT(lines.size(), 10u);
    for (const auto& line : lines) EXPECT_EQ(line.rfind("seq=", 0), 0u) << line.substr(0, 40);
  }
  ASSERT_TRUE(daemon.running());

  // Space returns: persisting resumes without another message.
  fs::remove(d.spin_root() / "filler");
  EXPECT_GE(size_once_past(d.log("full"), persisted_size + (128u << 10), 8s),
            persisted_size + (128u << 10))
      << "persisting resumed; daemon stderr: " << daemon.err().substr(0, 2000);
  EXPECT_GE(disk_size(d.log("full", "stderr.txt")), persisted_size);
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
  const std::string err = daemon.err();
  EXPECT_EQ(count_of(err, "No space left on device"), 2u) << "once per stream";
  EXPECT_EQ(count_of(err, "full/stdout.txt"), 1u);
  EXPECT_EQ(count_of(err, "full/stderr.txt"), 1u);
}

}  // namespace
}  // namespace zinnia::testing
