// zinnia_microbench: Google Benchmark micro-benchmarks of the per-line hot paths.
//   - a log append into the monitor tree (persistence on), flushed per turn or per line
//   - the console formatting: format_console() and the zinniad stderr record
//   - an event-line write: building a Station event and writing it through EventWriter
// Run through `scripts/bench/run micro` (or directly, with the usual --benchmark_* flags).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/core/event_writer.h"
#include "daemon/core/events.h"
#include "daemon/core/stderr_log.h"
#include "engine/api/format.h"
#include "fusefs/tree/tree.h"

namespace {

namespace fs = std::filesystem;

// A scratch folder removed at scope exit.
struct Scratch {
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "zinnia-microbench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

const std::string kLine = "Checking the current SPARK round... job 123456 of round 4242 done\n";

// One console line into a component's stdout log; a flush every `range(0)` lines (a module
// turn that prints that many lines; 1 = every line is persisted and published on its own).
void BM_LogAppend(benchmark::State& state) {
  Scratch dir;
  zinnia::fusefs::TreeOptions o;
  o.spin_root = dir.path / "spin";
  o.app = "bench";
  o.rotate_bytes = std::uint64_t{1} << 40;  // no rotation inside a run
  zinnia::fusefs::Tree tree(o);
  tree.add_component("c");
  auto log = tree.log("c", zinnia::fusefs::Stream::kStdout);
  const auto every = state.range(0);
  std::int64_t i = 0;
  for (auto _ : state) {
    log->append(kLine);
    if (++i % every == 0) log->flush();
  }
  log->flush();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kLine.size()));
}
BENCHMARK(BM_LogAppend)->Arg(1)->Arg(512);

// console.log('job', 42, true): the pure formatter (the V8 side converts to FormatArg).
void BM_FormatConsole(benchmark::State& state) {
  using K = zinnia::engine::FormatArg::Kind;
  std::vector<zinnia::engine::FormatArg> args(3);
  args[0] = {K::kString, "Checking the current SPARK round...", 0};
  args[1] = {K::kNumber, "42", 42};
  args[2] = {K::kBoolean, "true", 0};
  zinnia::engine::InspectFn inspect = [](std::size_t, char) { return std::string("{}"); };
  for (auto _ : state) {
    std::string s = zinnia::engine::format_console(args, inspect);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatConsole);

// console.log('%s is %d', 'x', 42): a format string.
void BM_FormatConsolePercent(benchmark::State& state) {
  using K = zinnia::engine::FormatArg::Kind;
  std::vector<zinnia::engine::FormatArg> args(3);
  args[0] = {K::kString, "round %s has %d jobs", 0};
  args[1] = {K::kString, "4242", 0};
  args[2] = {K::kNumber, "42", 42};
  zinnia::engine::InspectFn inspect = [](std::size_t, char) { return std::string("{}"); };
  for (auto _ : state) {
    std::string s = zinnia::engine::format_console(args, inspect);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatConsolePercent);

// One zinniad stderr record: "[2025-01-23T22:55:24Z INFO  module:spark] text".
void BM_StderrRecord(benchmark::State& state) {
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    std::string s =
        zinnia::daemon::format_record(now, spdlog::level::info, "module:spark", kLine, false);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StderrRecord);

// Module console lines through the daemon's stderr (formatted into a batch per 64 lines, as a
// module's turn, queued to the writer thread) to /dev/null, drained every 4096 lines: records
// per second the writer sustains.
void BM_StderrLog(benchmark::State& state) {
  int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  {
    zinnia::daemon::StderrLog log(fd, zinnia::daemon::LogLevel::kInfo, false, 1 << 16);
    auto module = log.module("spark");
    std::int64_t i = 0;
    for (auto _ : state) {
      module->add(spdlog::level::info, std::string_view(kLine.data(), kLine.size() - 1));
      if (++i % 64 == 0) module->submit();
      if (i % 4096 == 0)
        log.flush(std::chrono::seconds(10), std::chrono::seconds(60));  // never drop: bounded queue
    }
    module->submit();
    log.flush(std::chrono::seconds(10), std::chrono::seconds(60));
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StderrLog)->UseRealTime();

// An activity event built and written (one write(2) per line) to /dev/null, waiting for the
// writer thread every 1024 events so the queue never drops.
void BM_EventLine(benchmark::State& state) {
  int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  {
    zinnia::daemon::EventWriter writer(fd);
    const std::optional<std::string> module = "spark";
    std::int64_t i = 0;
    for (auto _ : state) {
      writer.post(zinnia::daemon::event_activity(false, module, "Connecting to the network."));
      if (++i % 1024 == 0) writer.flush(std::chrono::seconds(10));
    }
    writer.flush(std::chrono::seconds(10));
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventLine)->UseRealTime();

// Building the event line alone (nlohmann::json).
void BM_EventLineFormat(benchmark::State& state) {
  const std::optional<std::string> module = "spark";
  for (auto _ : state) {
    std::string s = zinnia::daemon::event_activity(false, module, "Connecting to the network.");
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventLineFormat);

}  // namespace

BENCHMARK_MAIN();
