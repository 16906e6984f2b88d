#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "util/unique_fd.h"

namespace zinnia::daemon {

// Thrown by StartupGuard::step() when a stop signal came during start-up: the caller unwinds
// (destructors unmount and close) and exits 0, as after SIGTERM.
struct StartupStopped {};

// Start-up honours SIGTERM and has a deadline per step (issue 19 #10). Any start-up step may
// block in the kernel: a frozen old daemon's FUSE mount answers no stat, a FIFO has no
// writer. The guard's thread reads SIGINT/SIGTERM (blocked in every thread) from its own
// signalfd while the main thread works through the steps:
// - a stop signal: the next step() throws StartupStopped; if the current step does not end
//   within 2 s, the process exits 0 from the guard's thread, naming the step;
// - a step that lasts longer than its timeout: the process exits 1, naming the step.
// Exits leave nothing behind that matters: nothing is persisted yet, the kernel drops the
// locks, and the unmount keeper detaches a mount made already.
class StartupGuard {
 public:
  explicit StartupGuard(std::chrono::milliseconds timeout);
  ~StartupGuard();  // done()
  StartupGuard(const StartupGuard&) = delete;
  StartupGuard& operator=(const StartupGuard&) = delete;

  void set_timeout(std::chrono::milliseconds timeout);
  // Begins a step (ending the one before); throws StartupStopped after a stop signal.
  void step(std::string what);
  // Start-up is over: stops the thread. A stop signal it had read is raised again, so that
  // the supervisor's signalfd gets it.
  void done();

 private:
  void run();

  UniqueFd signal_fd_;
  UniqueFd wake_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string step_ = "start";
  std::chrono::steady_clock::time_point step_started_;
  std::chrono::milliseconds timeout_;
  int stop_signal_ = 0;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace zinnia::daemon
