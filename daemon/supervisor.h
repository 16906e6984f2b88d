#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/component_sink.h"
#include "daemon/core/backoff.h"
#include "daemon/core/config.h"
#include "daemon/core/event_writer.h"
#include "daemon/core/metrics.h"
#include "daemon/core/state.h"
#include "daemon/core/status.h"
#include "daemon/core/stderr_log.h"
#include "engine/runtime/module.h"
#include "fusefs/tree/tree.h"
#include "util/unique_fd.h"

namespace zinnia::daemon {

// Runs the app's components, restarts crashed ones with back-off, reports to the Station,
// persists job totals and keeps monitor/status.json current. Runs on the main thread;
// SIGINT/SIGTERM/SIGHUP must be blocked in every thread before any thread starts.
class Supervisor {
 public:
  Supervisor(Config config, fusefs::Tree& tree, StderrLog& log, EventWriter& events);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Runs until a stop signal (returns 0) or until every component has finished (0).
  // Throws on a failure of the daemon itself.
  int run();
  // Called once when stopping starts (e.g. to arm a deadline).
  void set_on_stopping(std::function<void()> f) { on_stopping_ = std::move(f); }
  // The process's own numbers for monitor/metrics.prom (FUSE, stderr drops); called on the
  // supervisor's thread whenever the status files are written.
  void set_process_metrics(std::function<ProcessMetrics()> f) { process_metrics_ = std::move(f); }
  // Called as each start-up step of run() begins (its name), and with "" once start-up is
  // over; it may throw to abandon the start (StartupGuard).
  void set_on_startup_step(std::function<void(const std::string&)> f) {
    on_startup_step_ = std::move(f);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot;
  struct ExitNote {
    std::string name;
    std::uint64_t generation;
    engine::Exit exit;
  };

  void publish_manifest();
  void add(const Component& spec, std::string fingerprint);
  void start(Slot& slot);
  void stop_and_join(Slot& slot);
  void handle_exits();
  void restart_due();
  void reload();
  // force: report changed totals now. final_totals: report them even if unchanged.
  void tick(bool force, bool final_totals = false);
  void write_status();
  void shutdown();
  bool all_finished() const;
  JobTotals totals() const;
  std::string fingerprint(const Component& c) const;

  Config config_;
  fusefs::Tree& tree_;
  StderrLog& log_;
  EventWriter& events_;
  StateFile state_;
  JobTotals persisted_;  // totals of components no longer in the app
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  std::vector<std::string> order_;  // component names in manifest order

  UniqueFd signal_fd_;
  UniqueFd wake_fd_;  // eventfd: a module exited
  std::mutex exits_mutex_;
  std::vector<ExitNote> exits_;

  std::atomic<std::uint64_t> job_changes_{0};
  std::uint64_t job_changes_reported_ = 0;
  Clock::time_point last_jobs_;
  std::atomic<bool> jobs_wake_armed_{true};
  Clock::time_point last_status_;
  bool status_dirty_ = true;
  bool ever_started_ = false;
  bool state_error_reported_ = false;
  std::function<void()> on_stopping_;
  std::function<void(const std::string&)> on_startup_step_;
  std::function<ProcessMetrics()> process_metrics_;
};

}  // namespace zinnia::daemon
