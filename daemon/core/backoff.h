#pragma once
#include <algorithm>
#include <chrono>

namespace zinnia::daemon {

// Restart delays after crashes: initial, doubling to max; a run of `healthy` or longer
// before a crash starts the sequence again.
class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  explicit Backoff(ms initial = ms(1'000), ms max = ms(60'000), ms healthy = ms(60'000))
      : initial_(initial), max_(max), healthy_(healthy) {}

  // The delay before the next restart, given how long the module ran before it crashed.
  ms next(ms ran_for) {
    if (ran_for >= healthy_) next_ = ms(0);
    next_ = next_.count() == 0 ? initial_ : std::min(next_ * 2, max_);
    return next_;
  }
  void reset() { next_ = ms(0); }

 private:
  ms initial_, max_, healthy_;
  ms next_{0};
};

}  // namespace zinnia::daemon
