#pragma once
#include <v8.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace zinnia::engine {

// What the watchdog watches for one module: when its current turn of JS began.
struct WatchedModule {
  v8::Isolate* isolate = nullptr;
  std::chrono::milliseconds limit{30'000};
  // Steady-clock nanoseconds at the start of the running turn; 0 between turns.
  std::atomic<std::int64_t> turn_start{0};
  std::atomic<bool> hung{false};
};

// One thread for the whole process; terminates a module whose turn outlasts its limit.
// add() before the module's first turn; remove() before its isolate is disposed.
void watchdog_add(WatchedModule* module);
void watchdog_remove(WatchedModule* module);
std::int64_t watchdog_now();

}  // namespace zinnia::engine
