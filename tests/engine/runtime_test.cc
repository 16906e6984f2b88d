// engine::Runtime owns its background threads: they end with it.
#include "engine/runtime/runtime.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

TEST(Runtime, StopsEveryThreadItStarted) {
  initialize_v8();
  const std::size_t before = thread_count();
  {
    auto runtime = Runtime::acquire();
    EXPECT_EQ(Runtime::acquire(), runtime);  // one per process while it lives
    auto isolate = runtime->isolates().take(std::size_t{64} << 20);  // starts the spare maker
    EXPECT_NE(isolate->get(), nullptr);
    EXPECT_EQ(thread_count(), before + 2);  // the watchdog and the spare maker
  }
  EXPECT_EQ(thread_count(), before);
}

TEST(Runtime, ModulesShareTheRuntimeHeldByTheEmbedder) {
  auto runtime = Runtime::acquire();
  EXPECT_EQ(run_js("console.log('a')").lines, std::vector<std::string>{"a"});
  const std::size_t before = thread_count();  // the first module started the spare maker
  EXPECT_EQ(run_js("console.log('b')").lines, std::vector<std::string>{"b"});
  // The module's thread is gone and the runtime's threads are still the same ones.
  EXPECT_EQ(thread_count(), before);
  EXPECT_EQ(Runtime::acquire(), runtime);
}

}  // namespace
}  // namespace zinnia::engine::testing
