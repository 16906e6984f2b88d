// The README's example app (examples/station) under zinniad: the inspector sees flaky's crash
// through zinnia:fs, and the manifest printer prints the app manifest.
#include <gtest/gtest.h>

#include "tests/daemon/e2e_util.h"

namespace {

using zinnia::testing::Daemon;

TEST(ExampleApp, InspectorReportsTheCrashAndManifestIsPrinted) {
  Daemon env(/*fast_restarts=*/true);
  auto daemon = env.start(
      {"--no-mount", "--manifest", std::string(ZINNIA_SOURCE_DIR) + "/examples/station/spin.toml"});
  const std::string flaky_crash =
      R"({"type":"activity:error","module":"flaky","message":"flaky crashed (uncaught error): Uncaught Error: flaky gave up after 6 ticks"})";
  const std::string inspector_saw =
      R"({"type":"activity:error","module":"inspector","message":"inspector: flaky crashed: )";
  ASSERT_TRUE(daemon->wait_out(inspector_saw, std::chrono::seconds(15)))
      << daemon->out() << daemon->err();
  // The inspector reads flaky's log through zinnia:fs, which can happen before the supervisor
  // has turned flaky's exit into its event: wait for it rather than race it.
  EXPECT_TRUE(daemon->wait_out(flaky_crash, std::chrono::seconds(5))) << daemon->out();
  EXPECT_TRUE(daemon->wait_err("module:manifest] App station has 5 components:")) << daemon->err();
  EXPECT_NE(daemon->out().find(
                R"({"type":"activity:info","module":"manifest","message":"manifest exited"})"),
            std::string::npos);
  daemon->kill(SIGTERM);
  EXPECT_EQ(daemon->wait(std::chrono::seconds(5)), 0) << daemon->err();
  for (const auto& event : zinnia::testing::events(daemon->out())) EXPECT_TRUE(event.is_object());
}

}  // namespace
