#include <gtest/gtest.h>

#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

TEST(Globals, HostApisExist) {
  auto r = run_js(R"js(
    const names = ["console", "Zinnia", "setTimeout", "setInterval", "clearTimeout",
      "clearInterval", "queueMicrotask", "structuredClone", "atob", "btoa", "self", "globalThis"];
    console.log(names.map((n) => `${n}:${typeof globalThis[n]}`).join(","));
    console.log(self === globalThis, typeof host, Object.keys(globalThis).includes("setTimeout"));
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << "\n" << r.exit.stack;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0],
            "console:object,Zinnia:object,setTimeout:function,setInterval:function,"
            "clearTimeout:function,clearInterval:function,queueMicrotask:function,"
            "structuredClone:function,atob:function,btoa:function,self:object,globalThis:object");
  // `host` never leaks to user code; globals are not enumerable (as on the web).
  EXPECT_EQ(r.lines[1], "true undefined false");
}

TEST(Globals, ZinniaObject) {
  auto opts = options_for("");
  opts.wallet_address = "f1abc";
  opts.station_id = std::string(88, 'a');
  auto r = run_js(R"js(
    console.log(Zinnia.walletAddress);
    console.log(Zinnia.stationId.length, Zinnia.stationId[0]);
    console.log(typeof Zinnia.versions.zinnia, /^\d+\.\d+\./.test(Zinnia.versions.v8));
    console.log(Zinnia.inspect({ a: 1, b: "x" }));
    console.log(Object.isFrozen(Zinnia));
  )js",
                  opts);
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"f1abc", "88 a", "string true", "{ a: 1, b: \"x\" }",
                                               "true"}));
}

TEST(Globals, StructuredCloneAtobBtoa) {
  auto r = run_js(R"js(
    const src = { n: 1, s: "x", d: new Date(0), m: new Map([[1, { deep: [1, 2] }]]), big: 10n };
    src.self = src;
    const c = structuredClone(src);
    console.log(c !== src, c.self === c, c.m.get(1).deep[1], c.d.getTime(), c.big === 10n);
    try { structuredClone(() => 1); } catch (e) { console.log(e.name); }
    console.log(btoa("hello"), atob("aGVsbG8="), atob(" aGVs bG8 "), btoa(""));
    try { btoa("€"); } catch (e) { console.log(e.name); }
    try { atob("a"); } catch (e) { console.log(e.name); }
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << r.exit.stack;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"true true 2 0 true", "DataCloneError",
                                               "aGVsbG8= hello hello ", "InvalidCharacterError",
                                               "InvalidCharacterError"}));
}

TEST(Globals, QueueMicrotaskRunsBeforeTimers) {
  auto r = run_js(R"js(
    setTimeout(() => console.log("timeout"), 0);
    queueMicrotask(() => console.log("microtask"));
    Promise.resolve().then(() => console.log("promise"));
    console.log("sync");
  )js");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"sync", "microtask", "promise", "timeout"}));
}

}  // namespace
}  // namespace zinnia::engine::testing
