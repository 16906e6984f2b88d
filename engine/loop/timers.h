#pragma once
#include <uv.h>
#include <v8.h>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace zinnia::engine {

class Loop;

// setTimeout/setInterval for one module: one uv_timer_t armed for the earliest deadline.
// Timers fire by deadline, then by creation order (as in browsers and Deno); each callback is
// its own turn (microtasks run between two timers).
class Timers {
 public:
  explicit Timers(Loop& loop);
  ~Timers();
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // Returns the timer id (> 0). `delay_ms` is clamped to [0, 2^31-1] (1 for intervals).
  std::uint32_t start(v8::Local<v8::Function> fn, std::vector<v8::Local<v8::Value>> args,
                      double delay_ms, bool repeat);
  void clear(std::uint32_t id);
  std::size_t size() const { return timers_.size(); }
  // Drops every callback (the loop is closing).
  void reset();

 private:
  struct Timer {
    std::uint64_t deadline;
    std::uint64_t seq;
    std::uint64_t interval;
    bool repeat;
    v8::Global<v8::Function> fn;
    std::vector<v8::Global<v8::Value>> args;
  };
  using Key = std::pair<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t>;
  static void on_timer(uv_timer_t* handle);
  void fire();
  void arm();

  Loop& loop_;
  uv_timer_t handle_{};
  std::uint32_t next_id_ = 1;
  std::uint64_t next_seq_ = 0;
  std::map<std::uint32_t, Timer> timers_;
  std::set<Key> queue_;
};

}  // namespace zinnia::engine
