// Events, state persistence, the stderr record format and the back-off policy.
#include <gtest/gtest.h>
#include <spdlog/async_logger.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "daemon/core/backoff.h"
#include "daemon/core/events.h"
#include "daemon/core/state.h"
#include "daemon/core/status.h"
#include "daemon/core/stderr_log.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace zinnia::daemon {
namespace {
using namespace std::chrono_literals;
using testing::TempDir;

TEST(Events, LinesAreExactJson) {
  EXPECT_EQ(event_started(), "{\"type\":\"activity:started\",\"module\":null}\n");
  EXPECT_EQ(event_activity(false, "spark", "Connecting to the network."),
            "{\"type\":\"activity:info\",\"module\":\"spark\",\"message\":\"Connecting to the "
            "network.\"}\n");
  EXPECT_EQ(event_activity(true, std::nullopt, "line\nbreak \"q\""),
            "{\"type\":\"activity:error\",\"module\":null,\"message\":\"line\\nbreak "
            "\\\"q\\\"\"}\n");
  EXPECT_EQ(event_jobs_completed({{"spark", 100}, {"retrieval-checker", 23}}),
            "{\"type\":\"jobs-completed\",\"total\":123,\"modules\":{\"retrieval-checker\":23,"
            "\"spark\":100}}\n");
  EXPECT_EQ(event_jobs_completed({}), "{\"type\":\"jobs-completed\",\"total\":0,\"modules\":{}}\n");
  // Invalid UTF-8 from a module never breaks the stream.
  auto line = event_activity(false, "m", std::string("bad \xff byte"));
  EXPECT_EQ(nlohmann::json::parse(line)["module"], "m");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(State, PersistsAtomicallyWithMode0600) {
  TempDir dir;
  StateFile state(dir.path() / "deep/state");
  std::string warning;
  EXPECT_TRUE(state.load(&warning).empty());
  state.save({{"spark", 3}, {"ping", 4}});
  struct stat st {};
  ASSERT_EQ(::stat(state.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(state.path().string() + ".tmp"));
  auto j = nlohmann::json::parse(testing::read_file(state.path()));
  EXPECT_EQ(j["total"], 7);
  EXPECT_EQ(j["modules"]["ping"], 4);
  StateFile again(dir.path() / "deep/state");
  EXPECT_EQ(again.load(&warning), (JobTotals{{"spark", 3}, {"ping", 4}}));
  EXPECT_TRUE(warning.empty());
}

TEST(State, CorruptFileIsKeptAsideWithAWarning) {
  TempDir dir;
  testing::write_file(dir.path() / "state.json", "{\"modules\": {\"x\": ");
  StateFile state(dir.path());
  std::string warning;
  EXPECT_TRUE(state.load(&warning).empty());
  EXPECT_NE(warning.find("state.json.corrupt"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "state.json.corrupt"));
}

TEST(StderrFormat, MatchesZinniadByteForByte) {
  // 2025-01-23T22:55:24Z
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1737672924)) + 999ms;
  EXPECT_EQ(
      format_record(t, spdlog::level::info, "module:spark", "Checking the current SPARK round..."),
      "[2025-01-23T22:55:24Z INFO  module:spark] Checking the current SPARK round...");
  EXPECT_EQ(format_record(t, spdlog::level::debug, "zinniad", "x"),
            "[2025-01-23T22:55:24Z DEBUG zinniad] x");
  EXPECT_EQ(format_record(t, spdlog::level::warn, "zinniad", "x"),
            "[2025-01-23T22:55:24Z WARN  zinniad] x");
  EXPECT_EQ(format_record(t, spdlog::level::err, "module:a", "two\nlines"),
            "[2025-01-23T22:55:24Z ERROR module:a] two\nlines");
}

// The real writer on a real pipe: records arrive formatted, one per call, in order; the
// daemon's own lines obey ZINNIA_LOG while module lines always pass.
TEST(StderrLog, WritesRecordsThroughThePipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    StderrLog log(fds[1], LogLevel::kWarn, false);
    log.daemon().info("hidden");
    log.daemon().warn("shown {}", 1);
    auto spark = log.module("spark");
    spark->add(spdlog::level::debug, "a\nb");
    spark->add(spdlog::level::err, "c");
    spark->submit();
    ASSERT_TRUE(log.flush(2s, 10s));
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  const std::string stamp = R"(\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z )";
  EXPECT_TRUE(::testing::internal::RE::FullMatch(out, "^" + stamp + "WARN  zinniad\\] shown 1\n" +
                                                          stamp + "DEBUG module:spark\\] a\nb\n" +
                                                          stamp + "ERROR module:spark\\] c\n$"))
      << out;
}

// A stderr nobody reads never blocks a writer; what was dropped is counted and reported.
TEST(StderrLog, BlockedPipeDropsInsteadOfBlocking) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto log = std::make_unique<StderrLog>(fds[1], LogLevel::kInfo, false, 64);
  const auto start = std::chrono::steady_clock::now();
  const std::string big(1000, 'x');
  auto m = log->module("m");
  for (int i = 0; i < 2000; ++i) {  // ~2 MB, pipe holds 64 KiB
    m->add(spdlog::level::info, big);
    if (i % 10 == 9) m->submit();  // batches of 10, as turns of 10 lines
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // Drain the pipe; the drop count is reported once there is room again.
  std::atomic<bool> stop{false};
  std::string out;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  });
  for (int i = 0; i < 500 && out.find("log records were dropped") == std::string::npos; ++i) {
    log->report_drops();
    log->flush(100ms, 100ms);
  }
  ASSERT_TRUE(log->flush(2s, 10s));
  m.reset();
  log.reset();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  const std::string warn = "WARN  zinniad] stderr was not being read: ";
  const auto at = out.find(warn);
  ASSERT_NE(at, std::string::npos);
  // The count is of records (lines), not of batches: what was written plus what was
  // reported dropped is every line.
  const std::size_t dropped = std::stoul(out.substr(at + warn.size()));
  std::size_t written = 0;
  for (std::size_t p = 0; (p = out.find(big, p)) != std::string::npos; p += big.size()) ++written;
  EXPECT_EQ(written + dropped, 2000u) << written << " written, " << dropped << " dropped";
}

// The exit flush waits for a reader that is slow but moving (a 4 MiB line read 64 KiB
// every 20 ms takes over a second), and gives up on one that stopped reading.
TEST(StderrLog, FlushWaitsForASlowReaderNotAStalledOne) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto log = std::make_unique<StderrLog>(fds[1], LogLevel::kInfo, false);
  const std::string huge(4 << 20, 'x');
  auto m = log->module("m");
  m->add(spdlog::level::info, huge);
  m->submit();
  std::size_t got = 0;
  std::thread reader([&] {
    std::vector<char> buf(65536);
    for (ssize_t n; (n = ::read(fds[0], buf.data(), buf.size())) > 0;) {
      got += static_cast<std::size_t>(n);
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(log->flush(300ms, 60s));
  EXPECT_GT(std::chrono::steady_clock::now() - start, 300ms) << "the reader is slower than that";
  log.reset();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_GT(got, huge.size());

  ASSERT_EQ(::pipe(fds), 0);
  log = std::make_unique<StderrLog>(fds[1], LogLevel::kInfo, false);
  m = log->module("m");
  m->add(spdlog::level::info, huge);
  m->submit();  // nobody reads: the pipe fills and the writer stops
  const auto stalled = std::chrono::steady_clock::now();
  EXPECT_FALSE(log->flush(300ms, 60s));
  EXPECT_LT(std::chrono::steady_clock::now() - stalled, 10s);
  // Leaving: the writer thread is blocked on the full pipe; a reader frees it.
  std::thread drain([&] {
    char buf[65536];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
  });
  log.reset();
  ::close(fds[1]);
  drain.join();
  ::close(fds[0]);
}

TEST(Backoff, DoublesToSixtySecondsAndResetsAfterHealth) {
  Backoff b;
  std::vector<long> seq;
  for (int i = 0; i < 9; ++i) seq.push_back(b.next(100ms).count() / 1000);
  EXPECT_EQ(seq, (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
  EXPECT_EQ(b.next(60s).count(), 1000);  // ran 60 s healthy: start over
  EXPECT_EQ(b.next(59s).count(), 2000);
}

TEST(Status, JsonHasEveryField) {
  ComponentStatus c;
  c.name = "spark";
  c.state = ComponentState::kRestarting;
  c.restarts = 2;
  c.last_error = "Uncaught Error: boom";
  c.jobs_completed = 5;
  c.heap_used = 10;
  c.heap_limit = 20;
  auto j = nlohmann::json::parse(status_json("station", {c}, std::chrono::system_clock::now()));
  EXPECT_EQ(j["app"], "station");
  const auto& s = j["components"]["spark"];
  EXPECT_EQ(s["state"], "restarting");
  EXPECT_EQ(s["restarts"], 2);
  EXPECT_EQ(s["last_error"], "Uncaught Error: boom");
  EXPECT_EQ(s["jobs_completed"], 5);
  EXPECT_EQ(s["heap_used"], 10);
  EXPECT_EQ(s["heap_limit"], 20);
  EXPECT_EQ(s["uptime_ms"], 0);
}

}  // namespace
}  // namespace zinnia::daemon
