// Issue 19 #1: memory outside the V8 heap (ArrayBuffers, typed arrays, WebAssembly memory)
// is bounded per module by ModuleOptions::external_limit_bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/engine/engine_harness.h"
#include "tests/support/eventually.h"

namespace zinnia::engine::testing {
namespace {

using namespace std::chrono_literals;

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

constexpr std::size_t kLimit = std::size_t{32} << 20;

ModuleOptions limited() {
  auto o = options_for("");
  o.heap_limit_bytes = std::size_t{64} << 20;
  o.external_limit_bytes = kLimit;
  return o;
}

const std::string kExternalMessage =
    "out of memory (external memory limit 32 MiB: ArrayBuffers, typed arrays and WebAssembly "
    "memory)";

// A hostile module keeps buffers alive, swallowing RangeErrors. It stops itself at 512 MiB
// (so a broken limit fails the test instead of the machine) and then idles.
void expect_stopped_while_sibling_runs(std::string_view hog_source) {
  Started sibling(kTicker, options_for(""));
  const std::size_t rss_before = rss_bytes();
  Started hog(hog_source, limited());
  ASSERT_TRUE(hog.sink.wait(20s)) << "the hog was not stopped";
  const std::size_t rss_after = rss_bytes();
  const Exit exit = hog.sink.exit();
  EXPECT_EQ(exit.reason, ExitReason::kOutOfMemory) << exit.message;
  EXPECT_EQ(exit.message, kExternalMessage);
  EXPECT_EQ(exit.code, 1);
  for (const auto& line : hog.sink.lines()) ADD_FAILURE() << "the hog went on: " << line;
  // The process held at most the limit (and the heap limit) more, with room for allocator
  // and sanitizer slack; the hog asked for 512 MiB.
  std::printf("rss before %zu MiB, when the hog ended %zu MiB\n", rss_before >> 20,
              rss_after >> 20);
  EXPECT_LT(rss_after, rss_before + kLimit + (std::size_t{160} << 20));
  const auto before = sibling.sink.lines().size();
  EXPECT_TRUE(zinnia::testing::eventually([&] { return sibling.sink.lines().size() > before; }));
  EXPECT_FALSE(sibling.module->done());
  sibling.module->stop();
  ASSERT_TRUE(sibling.sink.wait());
  EXPECT_EQ(sibling.sink.exit().reason, ExitReason::kStopped);
}

TEST(ExternalMemory, ArrayBuffersPastTheLimitStopTheModuleNotItsSibling) {
  expect_stopped_while_sibling_runs(R"js(
    const keep = [];
    for (let i = 0; i < 512; i++) {
      try { const b = new Uint8Array(1 << 20); b.fill(1); keep.push(b); } catch {}
    }
    console.log("kept", keep.length);
    setTimeout(() => {}, 1e9);
  )js");
}

TEST(ExternalMemory, OneHugeBufferIsRefusedAndStopsTheModule) {
  expect_stopped_while_sibling_runs(R"js(
    let b;
    try { b = new ArrayBuffer(512 << 20); new Uint8Array(b).fill(1); } catch {}
    setTimeout(() => {}, 1e9);
  )js");
}

TEST(ExternalMemory, WebAssemblyMemoryCountsTowardTheLimit) {
  expect_stopped_while_sibling_runs(R"js(
    const keep = [];
    for (let i = 0; i < 512; i++) {
      try {
        const m = new WebAssembly.Memory({ initial: 16 });  // 1 MiB
        new Uint8Array(m.buffer).fill(1);
        keep.push(m);
      } catch {}
    }
    setTimeout(() => {}, 1e9);
  )js");
}

TEST(ExternalMemory, GrowingOneWebAssemblyMemoryIsStopped) {
  expect_stopped_while_sibling_runs(R"js(
    const m = new WebAssembly.Memory({ initial: 1, maximum: 16384 });
    for (let i = 0; i < 512; i++) {
      try { m.grow(16); new Uint8Array(m.buffer).fill(1); } catch {}
    }
    setTimeout(() => {}, 1e9);
  )js");
}

TEST(ExternalMemory, HostAllocationsPastTheLimitStopTheModuleNotTheProcess) {
  // TextEncoder's bytes are made by a native through V8's API, where a refusal would be a
  // fatal process OOM: the native's allocation succeeds and the module is stopped.
  expect_stopped_while_sibling_runs(R"js(
    const keep = [];
    const s = "x".repeat(8 << 20);
    for (let i = 0; i < 64; i++) {
      try { keep.push(new TextEncoder().encode(s)); } catch {}
    }
    setTimeout(() => {}, 1e9);
  )js");
}

TEST(ExternalMemory, ChurningThroughBuffersWithinTheLimitIsFine) {
  // 1 GiB in all through a 32 MiB limit: dead buffers are collected and their bytes reused.
  auto r = run_js(R"js(
    let sum = 0;
    for (let i = 0; i < 1024; i++) { const b = new Uint8Array(1 << 20); b[i] = 1; sum += b[i]; }
    const ab = new ArrayBuffer(0, { maxByteLength: 16 << 20 });
    ab.resize(8 << 20);
    console.log("done", sum, ab.byteLength);
  )js",
                  limited());
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "done 1024 8388608");
}

}  // namespace
}  // namespace zinnia::engine::testing
