#pragma once
// Waiting on a condition, never on time: every test that waits for something to happen polls
// the condition itself, with a timeout that only bounds a failure.
#include <chrono>
#include <thread>

namespace zinnia::testing {

// Polls `condition` every `poll` until it holds (true) or `timeout` passes (false). The
// condition is checked once more at the deadline, so a slow machine never fails a test that
// became true while this thread was descheduled.
template <class Condition>
bool eventually(Condition&& condition,
                std::chrono::steady_clock::duration timeout = std::chrono::seconds(10),
                std::chrono::steady_clock::duration poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace zinnia::testing
