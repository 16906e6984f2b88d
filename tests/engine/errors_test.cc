#include <gtest/gtest.h>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(Errors, UncaughtExceptionAtTopLevel) {
  auto r = run_js("console.log('before');\nthrow new Error('boom');\nconsole.log('after');\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.code, 1);
  EXPECT_EQ(r.exit.message, "Uncaught Error: boom");
  EXPECT_TRUE(r.exit.stack.starts_with("Error: boom\n    at file://")) << r.exit.stack;
  EXPECT_TRUE(contains(r.exit.stack, "/main.js:2:7")) << r.exit.stack;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"before"}));
}

TEST(Errors, UncaughtExceptionInTimerStopsTheModule) {
  auto r = run_js(R"js(
    setTimeout(() => { throw new TypeError("in timer"); }, 1);
    setTimeout(() => console.log("never"), 50);
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.message, "Uncaught TypeError: in timer");
  EXPECT_TRUE(contains(r.exit.stack, "/main.js:2:30")) << r.exit.stack;
  EXPECT_TRUE(r.lines.empty());
}

TEST(Errors, UnhandledRejection) {
  auto r = run_js(R"js(
    async function work() { await null; throw new RangeError("nope"); }
    work();
    setTimeout(() => console.log("never"), 50);
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.message, "Uncaught (in promise) RangeError: nope");
  EXPECT_TRUE(contains(r.exit.stack, "/main.js:2:47")) << r.exit.stack;
  EXPECT_TRUE(r.lines.empty());
}

TEST(Errors, RejectionHandledLaterInTheSameTurnIsFine) {
  auto r = run_js(R"js(
    const p = Promise.reject(new Error("late"));
    Promise.resolve().then(() => p.catch((e) => console.log("caught", e.message)));
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"caught late"}));
}

TEST(Errors, NonErrorValuesAndMicrotaskThrows) {
  auto r = run_js("queueMicrotask(() => { throw 'plain string'; });\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.message, "Uncaught plain string");

  auto r1 = run_js("queueMicrotask(() => { throw new Error('in microtask'); });\n");
  EXPECT_EQ(r1.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r1.exit.message, "Uncaught Error: in microtask");
  EXPECT_TRUE(contains(r1.exit.stack, "main.js:1:30")) << r1.exit.stack;

  auto r2 = run_js("Promise.reject(42);\n");
  EXPECT_EQ(r2.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r2.exit.message, "Uncaught (in promise) 42");
}

TEST(Errors, SyntaxAndLoadErrors) {
  auto r = run_js("let x = ;\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_TRUE(r.exit.message.starts_with("Uncaught SyntaxError: Unexpected token"))
      << r.exit.message;
  EXPECT_TRUE(contains(r.exit.stack, "main.js:1:9")) << r.exit.stack;

  auto opts = options_for("/nonexistent/zinnia/main.js");
  auto r2 = run_file("/nonexistent/zinnia/main.js", opts);
  EXPECT_EQ(r2.exit.reason, ExitReason::kUncaught);
  EXPECT_TRUE(contains(r2.exit.message, "Module not found")) << r2.exit.message;
  EXPECT_TRUE(contains(r2.exit.message, "/nonexistent/zinnia/main.js")) << r2.exit.message;
}

TEST(Errors, TopLevelAwaitRejectionAndNeverResolved) {
  auto r =
      run_js("await new Promise((_, reject) => setTimeout(() => reject(new Error('tla')), 1));\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.message, "Uncaught Error: tla");

  auto r2 = run_js("await new Promise(() => {});\n");
  EXPECT_EQ(r2.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r2.exit.message, "Top-level await promise never resolved");
}

TEST(Errors, FinishedModuleExitsZero) {
  auto r = run_js("console.log('hi');\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished);
  EXPECT_EQ(r.exit.code, 0);
  EXPECT_TRUE(r.exit.message.empty());
}

}  // namespace
}  // namespace zinnia::engine::testing
