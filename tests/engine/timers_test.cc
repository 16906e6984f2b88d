#include <gtest/gtest.h>

#include <chrono>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

TEST(Timers, OrderByDelayThenCreation) {
  auto r = run_js(R"js(
    setTimeout(() => console.log("c 20"), 20);
    setTimeout(() => console.log("a 0"), 0);
    setTimeout(() => console.log("b 5"), 5);
    setTimeout(() => console.log("a2 0"), 0);
    setTimeout((x, y) => console.log("args", x, y), 1, "p", 2);
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"a 0", "a2 0", "args p 2", "b 5", "c 20"}));
}

TEST(Timers, MicrotasksRunBetweenTimers) {
  auto r = run_js(R"js(
    setTimeout(() => { console.log("t1"); Promise.resolve().then(() => console.log("m1")); }, 0);
    setTimeout(() => { console.log("t2"); queueMicrotask(() => console.log("m2")); }, 0);
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"t1", "m1", "t2", "m2"}));
}

TEST(Timers, IntervalAndClears) {
  auto r = run_js(R"js(
    let n = 0;
    const id = setInterval(() => {
      n++;
      console.log("tick", n);
      if (n === 3) clearInterval(id);
    }, 1);
    const never = setTimeout(() => console.log("never"), 5);
    clearTimeout(never);
    clearTimeout(12345); clearTimeout(undefined); clearInterval("x");
    console.log(typeof id, id > 0, id !== never);
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"number true true", "tick 1", "tick 2", "tick 3"}));
}

TEST(Timers, NestedTimersRunInLaterRounds) {
  auto r = run_js(R"js(
    setTimeout(() => {
      console.log("outer");
      setTimeout(() => console.log("inner"), 0);
    }, 0);
    setTimeout(() => console.log("sibling"), 0);
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"outer", "sibling", "inner"}));
}

TEST(Timers, ClearingALaterTimerFromAnEarlierOne) {
  auto r = run_js(R"js(
    let b;
    setTimeout(() => { console.log("a"); clearTimeout(b); }, 0);
    b = setTimeout(() => console.log("b"), 0);
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"a"}));
}

TEST(Timers, DelaysAreHonoured) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_js(R"js(
    const t0 = Date.now();
    setTimeout(() => { const d = Date.now() - t0; console.log(d >= 100 ? "late enough" : "too early " + d); }, 100);
  )js");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  EXPECT_EQ(r.lines, (std::vector<std::string>{"late enough"}));
  EXPECT_GE(ms, 100);
  EXPECT_LT(ms, 5000);  // generous: a loaded 2-core CI box
}

TEST(Timers, PendingTimerKeepsModuleAliveAndBadCallbackThrows) {
  auto r = run_js(R"js(
    try { setTimeout("code", 0); } catch (e) { console.log(e.constructor.name); }
    setTimeout(() => console.log("done"), 30);
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"TypeError", "done"}));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished);
}

}  // namespace
}  // namespace zinnia::engine::testing
