// Linked into a test program whose modules should start as in the shipped binaries: from the
// startup snapshot (engine/runtime/snapshot.h). A Runtime holding it lives for the whole
// program, so every Module the tests start uses it.
#include <gtest/gtest.h>

#include <memory>

#include "engine/runtime/runtime.h"

namespace {

class SnapshotRuntime : public ::testing::Environment {
 public:
  void SetUp() override {
    zinnia::engine::RuntimeOptions options;
    options.snapshot = zinnia::engine::embedded_snapshot();
    runtime_ = zinnia::engine::Runtime::acquire(options);
    ASSERT_TRUE(runtime_->uses_snapshot());
  }
  void TearDown() override { runtime_.reset(); }

 private:
  std::shared_ptr<zinnia::engine::Runtime> runtime_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SnapshotRuntime);

}  // namespace
