// The built-ins zinnia:test and zinnia:assert, run as modules.
#include <gtest/gtest.h>

#include <regex>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

// Every console call of a run joined into one text, as stdout shows it.
std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

// The real Zinnia's report: the file after a blank line, "  ✔ NAME (Nms)", the summary.
TEST(ZinniaTest, PassingRunPrintsOkSummaryAndExitsZero) {
  auto r = run_file(fixture("testing/passing.js"));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << "\n" << r.exit.stack;
  EXPECT_EQ(r.exit.code, 0);
  const std::string out = joined(r.lines);
  EXPECT_TRUE(std::regex_match(out, std::regex("\npassing\\.js\n"
                                               "  \u2714 sync assertions \\(\\d+ms\\)\n"
                                               "  \u2714 async test \\(\\d+ms\\)\n"
                                               "\nok \\| 2 passed \\| 0 failed \\(\\d+ms\\)\n\n")))
      << out;
  for (auto& e : r.events) EXPECT_EQ(e.level, Level::kInfo) << e.text;  // all on stdout
}

TEST(ZinniaTest, FailingRunPrintsFailSummaryAndExitsOne) {
  auto r = run_file(fixture("testing/failing.js"));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.exit.code, 1);
  const std::string out = joined(r.lines);
  // NAME => where test() was called; the error, its source line and a caret, the stack.
  const std::string file = "file://" + fixture("testing/failing.js").string();
  EXPECT_TRUE(std::regex_match(
      out, std::regex("\nfailing\\.js\n"
                      "  \u2714 passes \\(\\d+ms\\)\n"
                      "  \u2716 fails \\(\\d+ms\\)\n"
                      "  \u2714 also passes \\(\\d+ms\\)\n"
                      "\n FAILURES \n"
                      "\nfails => " +
                      std::regex_replace(file, std::regex("[.^$|()\\[\\]{}*+?\\\\]"), "\\$&") +
                      ":5:1\n"
                      "error: AssertionError: Values are not equal[^]*\n"
                      "  assertEquals\\(\\[1, 2\\], \\[1, 3\\]\\);\n"
                      "  \\^\n"
                      "    at [^]*failing\\.js:6:3\\)?\n"
                      "\nFAIL \\| 2 passed \\| 1 failed \\(\\d+ms\\)\n")))
      << out;
  for (auto& e : r.events) EXPECT_EQ(e.level, Level::kInfo) << e.text;  // all on stdout
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
