// engine_start: module start time (isolate + context + bootstrap + a one-line module) and RSS
// per idle module with 1, 10 and 100 modules alive. Usage: engine_start [rounds]
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "engine/runtime/module.h"
#include "engine/runtime/runtime.h"
#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"

using namespace zinnia::engine;
using Clock = std::chrono::steady_clock;

namespace {

// Signals the first console line ("up": the module has started and run its first statement).
class UpSink : public Sink {
 public:
  void console(Level, std::string_view) override {
    std::lock_guard lock(mu_);
    if (!up_) up_at_ = Clock::now();
    up_ = true;
    cv_.notify_all();
  }
  void activity(Level, std::string_view) override {}
  void job_completed() override {}
  void exited(const Exit& exit) override {
    std::lock_guard lock(mu_);
    if (!up_) std::fprintf(stderr, "module exited early: %s\n", exit.message.c_str());
    up_ = true;
    cv_.notify_all();
  }
  Clock::time_point wait_up() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return up_; });
    return up_at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool up_ = false;
  Clock::time_point up_at_;
};

std::size_t rss_kib() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 50;
  initialize_v8();
  // Held for the whole run, as zinniad does: the spare isolate and the code cache carry over
  // from one module to the next. `engine_start N snapshot`: modules start from the startup
  // snapshot, as in `zinnia run` (zinniad does not use it yet).
  RuntimeOptions runtime_options;
  if (argc > 2 && std::string_view(argv[2]) == "snapshot")
    runtime_options.snapshot = embedded_snapshot();
  const auto runtime = Runtime::acquire(runtime_options);
  auto dir = std::filesystem::temp_directory_path() / ("engine_start." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto entry = dir / "main.js";
  std::ofstream(entry) << "console.log('up'); setTimeout(() => {}, 1e9);\n";
  ModuleOptions options;
  options.name = "bench";
  options.entry = entry;
  options.wallet_address = "0x000000000000000000000000000000000000dEaD";
  options.station_id = std::string(88, '0');

  // Bare isolate + context, for comparison.
  std::vector<double> bare;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clock::now();
    {
      IsolateHolder holder(options.heap_limit_bytes);
      v8::Locker locker(holder.get());
      v8::Isolate::Scope is(holder.get());
      v8::HandleScope hs(holder.get());
      auto context = v8::Context::New(holder.get());
      (void)context;
      bare.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  // Full module start, one at a time.
  std::vector<double> start;
  for (int i = 0; i < rounds; ++i) {
    UpSink sink;
    auto t0 = Clock::now();
    Module m(options, sink);
    auto up = sink.wait_up();
    start.push_back(std::chrono::duration<double, std::milli>(up - t0).count());
  }
  std::printf("isolate+context (bare)            median %.2f ms\n", median(bare));
  std::printf("module start to first statement   median %.2f ms\n", median(start));

  for (int n : {1, 10, 100}) {
    std::size_t base = rss_kib();
    std::vector<std::unique_ptr<UpSink>> sinks;
    std::vector<std::unique_ptr<Module>> modules;
    std::vector<double> times;
    for (int i = 0; i < n; ++i) {
      sinks.push_back(std::make_unique<UpSink>());
      auto t0 = Clock::now();
      modules.push_back(std::make_unique<Module>(options, *sinks.back()));
      auto up = sinks.back()->wait_up();
      times.push_back(std::chrono::duration<double, std::milli>(up - t0).count());
    }
    std::size_t all = rss_kib();
    std::printf(
        "%3d idle modules: RSS +%.1f MiB total, %.2f MiB per module; start median %.2f ms, "
        "last %.2f ms\n",
        n, static_cast<double>(all - base) / 1024.0, static_cast<double>(all - base) / 1024.0 / n,
        median(times), times.back());
    for (auto& m : modules) m->stop();
    modules.clear();
  }
  // console.log hot path: 1,000,000 plain-string lines into a sink that only counts bytes.
  {
    struct CountSink : Sink {
      std::size_t lines = 0, bytes = 0;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      void console(Level, std::string_view text) override {
        ++lines;
        bytes += text.size();
      }
      void activity(Level, std::string_view) override {}
      void job_completed() override {}
      void exited(const Exit&) override {
        std::lock_guard lock(mu);
        done = true;
        cv.notify_all();
      }
    } sink;
    auto log = dir / "log.js";
    std::ofstream(log) << "for (let i = 0; i < 1e6; i++) console.log('Checking the current SPARK "
                          "round...');\nfor (let i = 0; i < 1e5; i++) console.log('job', i, "
                          "{ ok: true });\n";
    auto opts = options;
    opts.entry = log;
    auto t0 = Clock::now();
    Module m(opts, sink);
    std::unique_lock lock(sink.mu);
    sink.cv.wait(lock, [&] { return sink.done; });
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("console.log: 1,000,000 plain + 100,000 mixed lines in %.2f s (%.0f lines/s)\n", s,
                static_cast<double>(sink.lines) / s);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
