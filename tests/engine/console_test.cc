#include <gtest/gtest.h>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

TEST(Console, EventSequenceForEveryOutputKind) {
  auto r = run_js(R"js(
    console.log("hello", 1, true);
    console.error("bad thing");
    Zinnia.activity.info("Connecting to the network.");
    Zinnia.activity.error("Cannot connect to the orchestrator.");
    Zinnia.jobCompleted();
    console.debug("dbg");
    console.info("inf");
    console.warn("careful");
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.exit.code, 0);
  std::vector<Event> expected{
      {Event::kConsole, Level::kInfo, "hello 1 true"},
      {Event::kConsole, Level::kError, "bad thing"},
      {Event::kActivity, Level::kInfo, "Connecting to the network."},
      {Event::kActivity, Level::kError, "Cannot connect to the orchestrator."},
      {Event::kJob, Level::kInfo, ""},
      {Event::kConsole, Level::kDebug, "dbg"},
      {Event::kConsole, Level::kInfo, "inf"},
      {Event::kConsole, Level::kWarn, "careful"},
  };
  EXPECT_EQ(r.events, expected);
}

TEST(Console, FormatSpecifiers) {
  auto r = run_js(R"js(
    console.log("%s is %d years and %i days, %f%%", "Bob", 42.9, "7x", 1.5);
    console.log("%o and %O", { a: 1 }, [1, "b"]);
    console.log("%j", { a: [1, 2] });
    console.log("%cstyled", "color: red");
    console.log("%s %s", "only one");
    console.log("100%");
    console.log("%d", 10n);
    console.log("x", { y: "z" }, "w");
    console.log(-0, 0, 1.5, null, undefined, false, "%d");
    console.log();
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         "Bob is 42 years and 7 days, 1.5%",
                         "{ a: 1 } and [ 1, \"b\" ]",
                         "{\"a\":[1,2]}",
                         "styled",
                         "only one %s",
                         "100%",
                         "10n",
                         "x { y: \"z\" } w",
                         "-0 0 1.5 null undefined false %d",
                         "",
                     }));
}

TEST(Console, InspectsLikeDeno) {
  auto r = run_js(R"js(
    class Foo { constructor() { this.x = 1; } }
    const circ = { name: "c" }; circ.self = circ;
    console.log({ a: 1, b: "x", c: [1, 2, 3], d: { e: null, f: undefined } });
    console.log([]);
    console.log({});
    console.log(new Foo());
    console.log(new Map([["a", 1]]), new Set([1, 2]));
    console.log(circ);
    console.log({ a: { b: { c: { d: { e: { f: 1 } } } } } });
    console.log([function named() {}, () => {}, class K {}, Symbol("s"), -0, 5n]);
    console.log({ "a-b": 1, [Symbol("k")]: 2 });
    console.log(Object.create(null));
    console.log(new Uint8Array([1, 2]));
    console.log([1, , 3]);
    console.log(Promise.resolve(4));
    console.log("s", "t");
  )js");
  EXPECT_EQ(r.lines,
            (std::vector<std::string>{
                "{ a: 1, b: \"x\", c: [ 1, 2, 3 ], d: { e: null, f: undefined } }",
                "[]",
                "{}",
                "Foo { x: 1 }",
                "Map(1) { \"a\" => 1 } Set(2) { 1, 2 }",
                "<ref *1> { name: \"c\", self: [Circular *1] }",
                "{ a: { b: { c: { d: { e: [Object] } } } } }",
                "[ [Function: named], [Function (anonymous)], [class K], Symbol(s), -0, 5n ]",
                "{ \"a-b\": 1, [Symbol(k)]: 2 }",
                "[Object: null prototype] {}",
                "Uint8Array(2) [ 1, 2 ]",
                "[ 1, <1 empty item>, 3 ]",
                "Promise { 4 }",
                "s t",
            }));
}

TEST(Console, ErrorsPrintTheirStack) {
  auto r = run_js(R"js(
    const e = new Error("boom");
    console.error(e);
    console.log({ e: new TypeError("inner") });
  )js");
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_TRUE(r.lines[0].starts_with("Error: boom\n    at file://")) << r.lines[0];
  EXPECT_NE(r.lines[0].find("main.js:2:15"), std::string::npos) << r.lines[0];
  EXPECT_TRUE(r.lines[1].starts_with("{\n  e: TypeError: inner\n      at file://")) << r.lines[1];
}

TEST(Console, LongObjectsBreakLines) {
  auto r = run_js(R"js(
    console.log({ alpha: "aaaaaaaaaaaaaaaaaaaa", beta: "bbbbbbbbbbbbbbbbbbbb", gamma: "cccccccccccccccccccc" });
  )js");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0],
            "{\n  alpha: \"aaaaaaaaaaaaaaaaaaaa\",\n  beta: \"bbbbbbbbbbbbbbbbbbbb\",\n"
            "  gamma: \"cccccccccccccccccccc\",\n}");
}

TEST(Console, OtherMethods) {
  auto r = run_js(R"js(
    console.assert(true, "no");
    console.assert(false, "yes", 1);
    console.count(); console.count(); console.count("x");
    console.dir({ a: 1 });
    console.group("g"); console.log("in\nside"); console.group(); console.warn("deeper");
    console.groupEnd(); console.groupEnd(); console.groupEnd();
    console.log("%s", "日本語 ✓");
    console.log("日本語", "✓");
  )js");
  EXPECT_EQ(r.events.size(), 10u);
  EXPECT_EQ(r.events[0], (Event{Event::kConsole, Level::kError, "Assertion failed: yes 1"}));
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         "Assertion failed: yes 1", "default: 1", "default: 2", "x: 1", "{ a: 1 }",
                         "g", "  in\n  side", "    deeper", "日本語 ✓", "日本語 ✓"}));
}

}  // namespace
}  // namespace zinnia::engine::testing
