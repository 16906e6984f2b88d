// CPU sharing between module threads (engine/runtime/watchdog.cc). CTest runs these alone:
// they measure how much of a core a module gets, and one of them loads every core itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "tests/engine/engine_harness.h"
#include "tests/support/eventually.h"

namespace zinnia::engine::testing {
namespace {

using namespace std::chrono_literals;

// CPU sharing: a module that keeps a core busy moves to background priority (nice 19) and
// keeps running; a module that sleeps between short turns stays at normal priority.
TEST(CpuShare, BusyModuleMovesToBackgroundPriorityAndKeepsRunning) {
  auto opts = options_for("");
  opts.share_cpu = true;
  Started light(kTicker, opts);
  Started busy(R"js(
    let n = 0;
    (function work() {
      const end = Date.now() + 20;
      while (Date.now() < end) {}
      console.log("turn", ++n);
      setTimeout(work, 0);
    })();
  )js",
               opts);
  zinnia::testing::eventually([&] { return busy.sink.background_percent_.load() != 0; }, 10s, 20ms);
  ASSERT_GE(busy.sink.background_percent_.load(), kBusyPercent);
  EXPECT_LE(busy.sink.background_percent_.load(), 100);
  EXPECT_EQ(busy.sink.background_nice_.load(), kBackgroundNice);
  // Three more windows: the light module is never moved, the busy one is not stopped.
  std::this_thread::sleep_for(3 * kCpuWindow);
  EXPECT_EQ(light.sink.background_percent_.load(), 0);
  EXPECT_FALSE(busy.module->done());
  // It goes on running its turns. At nice 19 next to another busy process it gets about 1.5%
  // of a core (a 20 ms turn every 1.4 s), so this waits for a few turns, not for a pace.
  zinnia::testing::eventually(
      [&] { return busy.sink.lines().size() > busy.sink.background_lines_.load() + 3; }, 10s, 20ms);
  EXPECT_GT(busy.sink.lines().size(), busy.sink.background_lines_.load() + 3);
  busy.module->stop();
  light.module->stop();
  ASSERT_TRUE(busy.sink.wait());
  ASSERT_TRUE(light.sink.wait());
  EXPECT_EQ(busy.sink.exit().reason, ExitReason::kStopped);
  EXPECT_EQ(light.sink.exit().reason, ExitReason::kStopped);
  EXPECT_EQ(light.sink.background_percent_.load(), 0);
}

// A spinning turn is moved too (it never reaches the end of a turn: it is told before its
// exit), and without share_cpu (zinnia run) nothing is moved.
TEST(CpuShare, SpinningTurnMovesToBackgroundOnlyWhenSharing) {
  for (bool share : {true, false}) {
    auto opts = options_for("");
    opts.share_cpu = share;
    opts.hang_timeout = 3 * kCpuWindow;
    Started spin("for (;;) {}\n", opts);
    ASSERT_TRUE(spin.sink.wait(20s));
    EXPECT_EQ(spin.sink.exit().reason, ExitReason::kHung);
    if (share) {
      EXPECT_GE(spin.sink.background_percent_.load(), kBusyPercent);
      EXPECT_EQ(spin.sink.background_nice_.load(), kBackgroundNice);
    } else {
      EXPECT_EQ(spin.sink.background_percent_.load(), 0);
    }
  }
}

// On an overloaded machine a module that needs 60% of a core gets much less: it is runnable
// nearly all the time and sleeps only between its slow ticks, like a busy loop. It must not
// be moved (at nice 19 every other process would starve it). Four spinning threads per
// core make the overload.
TEST(CpuShare, StarvedModuleIsNotMovedToBackground) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (unsigned i = 0; i < 4 * std::max(1u, std::thread::hardware_concurrency()); ++i)
    load.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  auto opts = options_for("");
  opts.share_cpu = true;
  // About 8 ms of CPU (not of wall time, which passes while the thread waits for a core)
  // every 5 ms: 60% of a core on a quiet machine, with a sleep after each tick.
  Started starved(R"js(
    let n = 0;
    setInterval(() => {
      let x = 0;
      for (let i = 0; i < 1600000; i++) x = (x + i * 7) % 1000003;
      if (++n % 10 === 0) console.log("ticks", n, x);
    }, 5);
  )js",
                  opts);
  std::this_thread::sleep_for(4 * kCpuWindow);
  stop.store(true);
  for (auto& t : load) t.join();
  EXPECT_EQ(starved.sink.background_percent_.load(), 0);
  EXPECT_FALSE(starved.sink.lines().empty()) << "it ran, slowly";
  starved.module->stop();
  ASSERT_TRUE(starved.sink.wait());
  EXPECT_EQ(starved.sink.background_percent_.load(), 0);
}

}  // namespace
}  // namespace zinnia::engine::testing
