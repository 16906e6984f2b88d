// Events, state persistence, the stderr record format and the back-off policy.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/async_logger.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/core/backoff.h"
#include "daemon/core/events.h"
#include "daemon/core/metrics.h"
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

// Issue 19 #21: nlohmann turned -5 into 18446744073709551611.
TEST(State, ANegativeOrFractionalTotalIsRefusedNotWrapped) {
  for (const char* text : {R"({"modules": {"x": -5}})", R"({"modules": {"x": 1.5}})",
                           R"({"total_jobs_completed": -1})"}) {
    TempDir dir;
    testing::write_file(dir.path() / "state.json", text);
    StateFile state(dir.path());
    std::string warning;
    EXPECT_TRUE(state.load(&warning).empty()) << text;
    EXPECT_NE(warning.find("not a whole number of jobs (0 or more)"), std::string::npos) << warning;
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "state.json.corrupt")) << text;
  }
}

// Issue 19 #10: state.json as a FIFO held the start forever; linked to /dev/zero it was read
// without end. Only a bounded regular file is read; the rest is kept aside, named.
TEST(State, OnlyABoundedRegularFileIsRead) {
  {
    TempDir dir;
    const auto fifo = dir.path() / "state.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    StateFile state(dir.path());
    std::string warning;
    auto done = std::async(std::launch::async, [&] { return state.load(&warning); });
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      // Unblock the reader so that the test can end, then fail.
      const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (w >= 0) ::close(w);
      FAIL() << "load() blocked on a FIFO";
    }
    EXPECT_TRUE(done.get().empty());
    EXPECT_NE(warning.find("it is a FIFO"), std::string::npos) << warning;
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "state.json.corrupt"));
    // And the next save replaces it with a regular file.
    state.save({{"x", 3}});
    EXPECT_EQ(state.load(&warning), (JobTotals{{"x", 3}}));
  }
  {
    TempDir dir;
    std::filesystem::create_symlink("/dev/zero", dir.path() / "state.json");
    StateFile state(dir.path());
    std::string warning;
    EXPECT_TRUE(state.load(&warning).empty());
    EXPECT_NE(warning.find("it is a symbolic link"), std::string::npos) << warning;
  }
  {
    // A link to a valid state file elsewhere is not followed (issue 19 #11): its totals are
    // not taken, and the file it points at is left as it was.
    TempDir dir, elsewhere;
    testing::write_file(elsewhere.path() / "theirs.json", R"({"modules": {"x": 7}})");
    std::filesystem::create_symlink(elsewhere.path() / "theirs.json", dir.path() / "state.json");
    StateFile state(dir.path());
    std::string warning;
    EXPECT_TRUE(state.load(&warning).empty());
    EXPECT_NE(warning.find("it is a symbolic link"), std::string::npos) << warning;
    state.save({{"y", 1}});
    EXPECT_EQ(testing::read_file(elsewhere.path() / "theirs.json"), R"({"modules": {"x": 7}})");
    EXPECT_FALSE(std::filesystem::is_symlink(dir.path() / "state.json"));
  }
  {
    TempDir dir;
    std::string big = R"({"modules": {"x": 1}, "pad": ")";
    big.append(StateFile::kMaxBytes, ' ');
    big += "\"}";
    testing::write_file(dir.path() / "state.json", big);
    StateFile state(dir.path());
    std::string warning;
    EXPECT_TRUE(state.load(&warning).empty());
    EXPECT_NE(warning.find("it is larger than 4 MiB"), std::string::npos) << warning;
  }
  {
    TempDir dir;  // a FIFO planted as the temporary file does not block a save
    ASSERT_EQ(::mkfifo((dir.path() / "state.json.tmp").c_str(), 0600), 0);
    StateFile state(dir.path());
    auto done = std::async(std::launch::async, [&] { state.save({{"x", 1}}); });
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      const int r = ::open((dir.path() / "state.json.tmp").c_str(), O_RDONLY | O_NONBLOCK);
      if (r >= 0) ::close(r);
      FAIL() << "save() blocked on a FIFO";
    }
    done.get();
    std::string warning;
    EXPECT_EQ(state.load(&warning), (JobTotals{{"x", 1}}));
  }
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
  std::mutex out_mu;  // the reader appends while this thread looks
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
      std::lock_guard lock(out_mu);
      out.append(buf, n);
    }
  });
  auto reported = [&] {
    std::lock_guard lock(out_mu);
    return out.find("log records were dropped") != std::string::npos;
  };
  for (int i = 0; i < 500 && !reported(); ++i) {
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
// monitor/metrics.prom (issue 21 #4): every family announced once, before its samples, and
// together; label values escaped; a newline at the end.
TEST(Metrics, TextFormatEscapesLabelsAndGroupsFamilies) {
  EXPECT_EQ(prom_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  std::vector<ComponentMetrics> list(2);
  list[0].status.name = "spark";
  list[0].status.jobs_completed = 12;
  list[0].status.uptime = std::chrono::milliseconds(61234);
  list[0].logs.lines[1] = 3;
  list[1].status.name = "ping";
  list[1].status.state = ComponentState::kRestarting;
  ProcessMetrics process;
  process.stderr_dropped = 7;
  const std::string text = metrics_prom("sta\"tion", list, process);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(
      text.find(
          "zinnia_component_jobs_completed_total{app=\"sta\\\"tion\",component=\"spark\"} 12\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "zinnia_component_uptime_seconds{app=\"sta\\\"tion\",component=\"spark\"} 61.234\n"),
      std::string::npos);
  EXPECT_NE(text.find("component=\"ping\",state=\"restarting\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("component=\"ping\",state=\"running\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("component=\"spark\",stream=\"stderr\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("zinnia_stderr_records_dropped_total{app=\"sta\\\"tion\"} 7\n"),
            std::string::npos);
  // No mount: no FUSE series.
  EXPECT_EQ(text.find("zinnia_fuse_"), std::string::npos);
  // Each family: HELP, then TYPE, then only its own samples, and never again later.
  std::set<std::string> seen;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(seen.insert(current).second) << "family twice: " << current;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(line.substr(7, current.size() + 1), current + " ") << line;
      continue;
    }
    EXPECT_EQ(line.substr(0, current.size() + 1), current + "{") << line;
  }
  EXPECT_EQ(seen.size(), 9u);
}

}  // namespace zinnia::daemon
