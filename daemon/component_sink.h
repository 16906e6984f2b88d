#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/event_writer.h"
#include "daemon/core/stderr_log.h"
#include "engine/sink.h"
#include "fusefs/tree/tree.h"

namespace spdlog {
class logger;
}

namespace zinnia::daemon {

// What a component wrote to its logs, across its runs: index 0 stdout, 1 stderr.
struct LogCounters {
  std::atomic<std::uint64_t> bytes[2] = {0, 0};
  std::atomic<std::uint64_t> lines[2] = {0, 0};
};

// One run of one component: its console lines go to its logs in the tree and then to the
// daemon's stderr; activity to the Station; jobs to its counter. Lives on the module's
// thread (every call comes from there).
class ComponentSink final : public engine::Sink {
 public:
  struct Targets {
    std::shared_ptr<fusefs::LogFile> out, err;
    std::shared_ptr<StderrLog::Module> stderr_out;  // "module:<name>" on the daemon's stderr
    spdlog::logger* daemon_log = nullptr;           // the daemon's own lines ("zinniad")
    EventWriter* events = nullptr;
    std::shared_ptr<std::atomic<std::uint64_t>> jobs;   // this component's total
    std::atomic<std::uint64_t>* job_changes = nullptr;  // bumped on every job, any component
    // Set by the supervisor after each report: the next job wakes it, so the first job after
    // a quiet spell is reported at once and coalescing starts from there.
    std::atomic<bool>* jobs_wake_armed = nullptr;
    std::function<void()> wake;
    std::shared_ptr<LogCounters> log_counts;           // for monitor/metrics.prom; may be null
    std::function<void(const engine::Exit&)> on_exit;  // after the logs are flushed
  };
  ComponentSink(std::string name, Targets targets);

  void console(engine::Level level, std::string_view text) override;
  void activity(engine::Level level, std::string_view message) override;
  void job_completed() override;
  void turn_end() override;
  void background(int busy_percent) override;
  void exited(const engine::Exit& exit) override;

 private:
  void flush();

  std::string name_;
  Targets t_;
  // Records for the daemon's stderr wait in t_.stderr_out's batch until the logs are
  // persisted (SPEC: a line is on disk before anyone can see it anywhere else); then the
  // turn's lines go to the writer as one batch.
  std::string line_;  // reused: the text + '\n' for the log
};

}  // namespace zinnia::daemon
