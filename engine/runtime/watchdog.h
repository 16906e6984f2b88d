#pragma once
#include <sys/types.h>
#include <v8.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

namespace zinnia::engine {

// What the watchdog watches for one module: when its current turn of JS began, and how
// much CPU its thread uses.
struct WatchedModule {
  v8::Isolate* isolate = nullptr;
  std::chrono::milliseconds limit{30'000};
  // Steady-clock nanoseconds at the start of the running turn; 0 between turns.
  std::atomic<std::int64_t> turn_start{0};
  // The thread's CPU time (ns) at the start of the running turn. A turn is hung when it has
  // used `limit` of CPU, not when `limit` of wall time has passed: a process frozen by
  // SIGSTOP or a cgroup freezer, or starved by a loaded machine, is not the module's fault.
  std::atomic<std::int64_t> turn_cpu_start{0};
  std::atomic<bool> hung{false};

  // CPU sharing: a module thread that keeps a core busy is moved to background priority, so
  // that it cannot slow down its siblings (it still gets every idle cycle). Unprivileged
  // processes cannot raise a priority again, so this lasts for the rest of the thread: the
  // module's next run starts on a fresh thread at normal priority.
  bool share_cpu = false;
  clockid_t cpu_clock{};  // the module thread's CPU-time clock (set by Watchdog::add)
  bool has_cpu_clock = false;
  pid_t tid = 0;  // the module thread's kernel id
  // How much of the window that moved it the thread wanted a core (percent); 0 until then.
  std::atomic<int> background_percent{0};
  // Watchdog-private: the start of the current measuring window (steady clock), and the
  // thread's time on a CPU, time waiting for one and voluntary sleeps then.
  std::int64_t window_wall = 0, window_run = 0, window_wait = 0, window_sleeps = 0;
};

// One thread for every module of an engine::Runtime; terminates a module whose turn outlasts
// its limit and moves CPU hogs to background priority. The thread starts with the object and
// is stopped and joined by its destructor (after every module has been removed).
class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // add() before the module's first turn, on the module's thread (it records the thread's
  // CPU clock and id when share_cpu is set); remove() before its isolate is disposed.
  void add(WatchedModule* module);
  void remove(WatchedModule* module);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchedModule*> modules_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Steady-clock nanoseconds (WatchedModule::turn_start).
std::int64_t watchdog_now();
// The calling thread's CPU time in nanoseconds (WatchedModule::turn_cpu_start).
std::int64_t thread_cpu_now();

}  // namespace zinnia::engine
