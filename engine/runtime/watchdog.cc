#include "engine/runtime/watchdog.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace zinnia::engine {
namespace {

struct Watchdog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<WatchedModule*> modules;
  std::thread thread;

  void loop() {
    std::unique_lock lock(mu);
    for (;;) {
      if (modules.empty()) {
        cv.wait(lock);
        continue;
      }
      auto tick = std::chrono::milliseconds(250);
      std::int64_t now = watchdog_now();
      for (auto* m : modules) {
        tick = std::min(tick, std::max(std::chrono::milliseconds(2), m->limit / 10));
        std::int64_t start = m->turn_start.load(std::memory_order_acquire);
        if (start != 0 && !m->hung.load() &&
            now - start > std::chrono::duration_cast<std::chrono::nanoseconds>(m->limit).count()) {
          m->hung.store(true);
          m->isolate->TerminateExecution();
        }
      }
      cv.wait_for(lock, tick);
    }
  }
};

Watchdog& instance() {
  // Never destroyed: the thread lives as long as the process.
  static Watchdog* w = [] {
    auto* d = new Watchdog;
    d->thread = std::thread([d] { d->loop(); });
    d->thread.detach();
    return d;
  }();
  return *w;
}

}  // namespace

std::int64_t watchdog_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void watchdog_add(WatchedModule* module) {
  auto& w = instance();
  std::lock_guard lock(w.mu);
  w.modules.push_back(module);
  w.cv.notify_one();
}

void watchdog_remove(WatchedModule* module) {
  auto& w = instance();
  std::lock_guard lock(w.mu);
  std::erase(w.modules, module);
}

}  // namespace zinnia::engine
