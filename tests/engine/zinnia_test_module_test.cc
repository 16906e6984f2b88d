// The built-ins zinnia:test and zinnia:assert, run as modules.
#include <gtest/gtest.h>

#include <regex>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

TEST(ZinniaTest, PassingRunPrintsOkSummaryAndExitsZero) {
  auto r = run_file(fixture("testing/passing.js"));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << "\n" << r.exit.stack;
  EXPECT_EQ(r.exit.code, 0);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_TRUE(std::regex_match(r.lines[0], std::regex(R"(ok sync assertions \(\d+ms\))")))
      << r.lines[0];
  EXPECT_TRUE(std::regex_match(r.lines[1], std::regex(R"(ok async test \(\d+ms\))"))) << r.lines[1];
  EXPECT_TRUE(std::regex_match(r.lines[2], std::regex(R"(ok \| 2 passed \| 0 failed \(\d+ms\))")))
      << r.lines[2];
  EXPECT_EQ(r.events.back().level, Level::kInfo);
}

TEST(ZinniaTest, FailingRunPrintsFailSummaryAndExitsOne) {
  auto r = run_file(fixture("testing/failing.js"));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.exit.code, 1);
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_TRUE(r.lines[0].starts_with("ok passes ("));
  EXPECT_TRUE(r.lines[1].starts_with("FAIL fails (")) << r.lines[1];
  // The failure carries the assertion's message and where it was thrown.
  EXPECT_NE(r.lines[1].find("AssertionError: Values are not equal"), std::string::npos)
      << r.lines[1];
  EXPECT_NE(r.lines[1].find("failing.js:6:3"), std::string::npos) << r.lines[1];
  EXPECT_TRUE(r.lines[2].starts_with("ok also passes ("));
  EXPECT_EQ(r.lines[3], "FAIL | 2 passed | 1 failed");
  EXPECT_EQ(r.events[1].level, Level::kError);
  EXPECT_EQ(r.events[3].level, Level::kError);
}

TEST(ZinniaTest, BuiltinsAreIsolatedFromUserCode) {
  auto r = run_js(R"js(
    import * as assert from "zinnia:assert";
    console.log(Object.keys(assert).sort().join(","));
    console.log(typeof import.meta.host);
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  ASSERT_EQ(r.lines.size(), 2u);
  for (auto name : {"AssertionError", "assert", "assertEquals", "assertRejects",
                    "assertStrictEquals", "assertThrows"})
    EXPECT_NE(r.lines[0].find(name), std::string::npos) << name;
  EXPECT_EQ(r.lines[1], "undefined");
}

}  // namespace
}  // namespace zinnia::engine::testing
