#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/engine/engine_harness.h"
#include "tests/support/eventually.h"

namespace zinnia::engine::testing {
namespace {

using namespace std::chrono_literals;
using zinnia::testing::TempDir;

TEST(Limits, OutOfMemoryEndsOnlyThatModule) {
  Started sibling(kTicker, options_for(""));
  auto opts = options_for("");
  opts.heap_limit_bytes = std::size_t{32} << 20;
  Started hog(R"js(
    const keep = [];
    for (;;) keep.push(new Array(10000).fill({ x: Math.random() }));
  )js",
              opts);
  ASSERT_TRUE(hog.sink.wait(20s));
  auto exit = hog.sink.exit();
  EXPECT_EQ(exit.reason, ExitReason::kOutOfMemory);
  EXPECT_EQ(exit.message, "out of memory (heap limit 32 MiB)");
  EXPECT_EQ(exit.code, 1);
  // The sibling keeps running after the hog is gone.
  auto before = sibling.sink.lines().size();
  EXPECT_TRUE(zinnia::testing::eventually([&] { return sibling.sink.lines().size() > before; }));
  EXPECT_FALSE(sibling.module->done());
  sibling.module->stop();
  ASSERT_TRUE(sibling.sink.wait());
  EXPECT_EQ(sibling.sink.exit().reason, ExitReason::kStopped);
}

TEST(Limits, HungTurnIsTerminatedWhileSiblingRuns) {
  Started sibling(kTicker, options_for(""));
  auto opts = options_for("");
  opts.hang_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  Started hung("setTimeout(() => { for (;;) {} }, 1);\n", opts);
  ASSERT_TRUE(hung.sink.wait(10s));
  auto took = std::chrono::steady_clock::now() - start;
  auto exit = hung.sink.exit();
  EXPECT_EQ(exit.reason, ExitReason::kHung);
  EXPECT_EQ(exit.message, "one turn of JavaScript used more than 300 ms of CPU time");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  auto before = sibling.sink.lines().size();
  EXPECT_TRUE(zinnia::testing::eventually([&] { return sibling.sink.lines().size() > before; }));
  sibling.module->stop();
  ASSERT_TRUE(sibling.sink.wait());
}

TEST(Limits, SlowButYieldingModuleIsNotHung) {
  auto opts = options_for("");
  opts.hang_timeout = 500ms;
  // 20 turns of ~40 ms each: the total exceeds the limit, no single turn does (the margin is
  // wide because a loaded machine stretches turns, and the first one includes the bootstrap).
  auto r = run_js(R"js(
    let n = 0;
    const id = setInterval(() => {
      const end = Date.now() + 40;
      while (Date.now() < end) {}
      if (++n === 20) { clearInterval(id); console.log("done"); }
    }, 1);
  )js",
                  opts);
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"done"}));
}

TEST(Limits, StopFromAnotherThreadWhileBusyOrIdle) {
  Started busy("for (;;) {}\n", options_for(""));
  Started idle("setTimeout(() => {}, 1e9);\n", options_for(""));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(busy.module->done());
  EXPECT_FALSE(idle.module->done());
  busy.module->stop();
  idle.module->stop();
  idle.module->stop();  // twice is fine
  ASSERT_TRUE(busy.sink.wait(5s));
  ASSERT_TRUE(idle.sink.wait(5s));
  EXPECT_EQ(busy.sink.exit().reason, ExitReason::kStopped);
  EXPECT_EQ(idle.sink.exit().reason, ExitReason::kStopped);
  EXPECT_EQ(idle.sink.exit().code, 0);
  busy.module->join();
  EXPECT_TRUE(busy.module->done());
}

TEST(Limits, HeapUsageIsReported) {
  Started m("globalThis.big = new Array(100000).fill(1); setTimeout(() => {}, 100);\n",
            options_for(""));
  // Sampled at the end of a turn: wait for the first one (slow on a loaded machine).
  auto usage = m.module->heap_usage();
  EXPECT_TRUE(zinnia::testing::eventually([&] {
    usage = m.module->heap_usage();
    return usage.used > 100'000u;
  }));
  EXPECT_GT(usage.used, 100'000u);
  EXPECT_GE(usage.limit, usage.used);
  ASSERT_TRUE(m.sink.wait());
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

TEST(Limits, ThousandStartStopCyclesKeepRssFlat) {
  initialize_v8();
  TempDir dir;
  write_file(dir.path() / "main.js",
             "globalThis.data = new Array(1000).fill('x'); setTimeout(() => {}, 1e9);\n");
  auto cycle = [&](int i) {
    RecordingSink sink;
    auto opts = options_for(dir.path() / "main.js");
    opts.heap_limit_bytes = std::size_t{64} << 20;
    Module m(opts, sink);
    if (i % 2) std::this_thread::yield();  // stop some before they start, some after
    m.stop();
    m.join();
    ASSERT_TRUE(m.done());
  };
  // Four starters at once (modules start concurrently in the daemon too), 250 cycles each.
  auto cycles = [&](int n) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < n / 4; ++i) cycle(t + i);
      });
    for (auto& th : threads) th.join();
  };
  cycles(100);  // warm-up: allocator pools, code caches
  std::size_t before = rss_bytes();
  auto start = std::chrono::steady_clock::now();
#if defined(__SANITIZE_ADDRESS__)
  cycles(400);  // sanitizers make a cycle ~3x slower; the test must stay under 10 s
#else
  cycles(1000);
#endif
  std::size_t after = rss_bytes();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rss before %zu KiB, after %zu KiB, cycles in %.2f s\n", before >> 10, after >> 10,
              secs);
  // Generous: a leaked isolate costs >1 MiB, so 1000 leaks would be >1 GiB. AddressSanitizer
  // holds up to 256 MiB of freed memory in quarantine, so it gets that much more room.
  std::size_t slack = std::size_t{48} << 20;
#if defined(__SANITIZE_ADDRESS__)
  slack += std::size_t{320} << 20;
#endif
  EXPECT_LT(after, before + slack);
}

}  // namespace
}  // namespace zinnia::engine::testing
