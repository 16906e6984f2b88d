// The binding layer (engine/v8/bind.h) on a real isolate, and the engine's extension list.
#include "engine/v8/bind.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "engine/runtime/extensions.h"
#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"
#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

struct Counter {
  explicit Counter(v8::Local<v8::Context>) {}
  int calls = 0;
};

std::string join(std::string a, double b) { return a + ":" + std::to_string(static_cast<int>(b)); }
std::int32_t add(std::int32_t a, std::int32_t b) { return a + b; }
std::uint32_t byte_sum(bind::Bytes bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size; ++i) sum += bytes.data[i];
  return sum;
}
std::string maybe(std::optional<std::string> s) { return s.value_or("none"); }
double count_rest(double first, bind::Rest rest) { return first + rest.size(); }
bool negate(bool b) { return !b; }
std::string coerce(bind::DOMString s) { return s.value; }
v8::Local<v8::Value> call_it(bind::Call& call, v8::Local<v8::Function> fn) {
  v8::Local<v8::Value> out;
  if (!fn->Call(call.context(), v8::Undefined(call.isolate()), 0, nullptr).ToLocal(&out))
    throw bind::Pending();
  return out;
}
std::int32_t tick(Counter& counter) { return ++counter.calls; }
void fail_type() { throw bind::TypeError("failType: nope"); }
void fail_range() { throw bind::RangeError("failRange: out"); }
void fail_dom() { throw bind::DOMException("InvalidCharacterError", "failDom: bad char"); }
std::optional<std::uint32_t> nothing() { return std::nullopt; }
v8::Local<v8::Promise> resolved(bind::Call& call, v8::Local<v8::Value> value) {
  auto resolver = v8::Promise::Resolver::New(call.context()).ToLocalChecked();
  discard(resolver->Resolve(call.context(), value));
  return resolver->GetPromise();
}

const bind::Extension& test_extension() {
  static const bind::Extension ext = bind::with_state<Counter>({
      .name = "test",
      .natives = {bind::native<"join", &join>(), bind::native<"add", &add>(),
                  bind::native<"byteSum", &byte_sum>(), bind::native<"maybe", &maybe>(),
                  bind::native<"countRest", &count_rest>(), bind::native<"negate", &negate>(),
                  bind::native<"coerce", &coerce>(), bind::native<"callIt", &call_it>(),
                  bind::native<"tick", &tick>(), bind::native<"failType", &fail_type>(),
                  bind::native<"failRange", &fail_range>(), bind::native<"failDom", &fail_dom>(),
                  bind::native<"nothing", &nothing>(), bind::native<"resolved", &resolved>(),
                  bind::native<"ns.inner", &add>()},
      .constants = {{"codes", {{"ONE", 1}, {"TWO", 2}}}},
  });
  return ext;
}

// One isolate and context with `host` holding the test extension.
class BindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_v8();
    holder_ = std::make_unique<IsolateHolder>(std::size_t{64} << 20);
  }
  void TearDown() override { holder_.reset(); }

  // Runs `code` with `host` in scope; returns the result as text, or "threw <Name>: <message>".
  std::string run(const std::string& code) {
    auto* isolate = holder_->get();
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope scope(isolate);
    auto context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    auto host = v8::Object::New(isolate);
    Counter counter(context);
    EXPECT_TRUE(bind::install(context, host, test_extension(), &counter));
    discard(context->Global()->Set(context, to_v8(isolate, "host"), host));
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> out;
    if (!v8::Script::Compile(context, to_v8(isolate, code)).ToLocal(&script) ||
        !script->Run(context).ToLocal(&out)) {
      auto e = try_catch.Exception();
      std::string name, message;
      if (e->IsObject()) {
        v8::Local<v8::Value> v;
        if (e.As<v8::Object>()->Get(context, to_v8(isolate, "name")).ToLocal(&v))
          name = to_utf8(isolate, v);
        if (e.As<v8::Object>()->Get(context, to_v8(isolate, "message")).ToLocal(&v))
          message = to_utf8(isolate, v);
      }
      return "threw " + name + ": " + message;
    }
    return to_utf8(isolate, out);
  }

  std::unique_ptr<IsolateHolder> holder_;
};

TEST_F(BindTest, ConvertsArgumentsAndResults) {
  EXPECT_EQ(run("host.join('a', '7')"), "a:7");  // double: ToNumber
  EXPECT_EQ(run("host.add(2, 3.9)"), "5");       // int32: ToInt32
  EXPECT_EQ(run("host.byteSum(new Uint8Array([1, 2, 250]))"), "253");
  EXPECT_EQ(run("host.byteSum(new DataView(new Uint8Array([4, 5]).buffer, 1))"), "5");
  EXPECT_EQ(run("host.maybe() + host.maybe(null) + host.maybe('x')"), "nonenonex");
  EXPECT_EQ(run("host.countRest(10, 1, 2, 3)"), "13");
  EXPECT_EQ(run("host.negate(0)"), "true");
  EXPECT_EQ(run("host.coerce({ toString() { return 'obj' } })"), "obj");
  EXPECT_EQ(run("host.callIt(() => 42)"), "42");
  EXPECT_EQ(run("String(host.nothing())"), "undefined");
  EXPECT_EQ(run("host.resolved(1) instanceof Promise"), "true");
  EXPECT_EQ(run("host.ns.inner(1, 1)"), "2");
  EXPECT_EQ(run("host.join.length + ' ' + host.countRest.length + ' ' + host.join.name"),
            "2 1 join");
}

TEST_F(BindTest, StateIsTheExtensions) {
  EXPECT_EQ(run("host.tick(); host.tick(); host.tick()"), "3");
}

TEST_F(BindTest, ConstantsAreFrozen) {
  EXPECT_EQ(run("host.codes.TWO + ' ' + Object.isFrozen(host.codes)"), "2 true");
}

TEST_F(BindTest, BadArgumentsThrowTypeErrorNamingNativeAndArgument) {
  EXPECT_EQ(run("host.join(1, 2)"), "threw TypeError: join: argument 1 must be a string");
  EXPECT_EQ(run("host.byteSum([1])"),
            "threw TypeError: byteSum: argument 1 must be an ArrayBufferView");
  EXPECT_EQ(run("host.callIt(1)"), "threw TypeError: callIt: argument 1 must be a function");
  EXPECT_EQ(run("host.join('a')"),
            "threw TypeError: join: 2 arguments required, but only 1 present");
  EXPECT_EQ(run("host.maybe(5)"), "threw TypeError: maybe: argument 1 must be a string");
  // A conversion that runs JS keeps that JS's exception.
  EXPECT_EQ(run("host.coerce({ toString() { throw new RangeError('mine') } })"),
            "threw RangeError: mine");
  EXPECT_EQ(run("host.callIt(() => { throw new SyntaxError('inner') })"),
            "threw SyntaxError: inner");
  EXPECT_EQ(run("new host.add(1, 2)").rfind("threw TypeError", 0), 0u);
}

TEST_F(BindTest, CppExceptionsBecomeJsErrors) {
  EXPECT_EQ(run("host.failType()"), "threw TypeError: failType: nope");
  EXPECT_EQ(run("host.failRange()"), "threw RangeError: failRange: out");
  // No DOMException class registered here: an Error with its name and code.
  EXPECT_EQ(run("host.failDom()"), "threw InvalidCharacterError: failDom: bad char");
  EXPECT_EQ(run("try { host.failDom() } catch (e) { String(e.code) }"), "5");
}

TEST_F(BindTest, InstallRefusesANameTwice) {
  auto* isolate = holder_->get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope scope(isolate);
  auto context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  auto host = v8::Object::New(isolate);
  Counter counter(context);
  v8::TryCatch try_catch(isolate);
  ASSERT_TRUE(bind::install(context, host, test_extension(), &counter));
  EXPECT_FALSE(bind::install(context, host, test_extension(), &counter));
  ASSERT_TRUE(try_catch.HasCaught());
  EXPECT_NE(to_utf8(isolate, try_catch.Exception()).find("'join' is registered twice"),
            std::string::npos);
}

TEST(BindCheck, ANameRegisteredTwiceIsAnError) {
  const bind::Extension a{.name = "a", .natives = {bind::native<"now", &add>()}};
  const bind::Extension b{.name = "b", .natives = {bind::native<"now", &add>()}};
  const bind::Extension* list[] = {&a, &b};
  EXPECT_EQ(bind::check(list), "host.now is registered twice (by extension 'a' and 'b')\n");
  // A native taking a state its extension does not declare.
  const bind::Extension c{.name = "c", .natives = {bind::native<"tick", &tick>()}};
  const bind::Extension* list2[] = {&c};
  EXPECT_NE(bind::check(list2).find("native tick takes a state"), std::string::npos);
}

TEST(BindCheck, TheEngineListIsConsistent) {
  EXPECT_EQ(bind::check(extensions()), "");
  int nows = 0;
  for (const bind::Extension* ext : extensions())
    for (const bind::Native& n : ext->natives) nows += n.name == "now";
  EXPECT_EQ(nows, 1);  // host.now was once installed twice, the last one silently winning
}

// Natives take their arguments through the layer: no hand-unpacked FunctionCallbackInfo
// outside engine/v8/.
TEST(BindCheck, NoHandUnpackedCallbacksOutsideTheLayer) {
  namespace fs = std::filesystem;
  const fs::path root = ZINNIA_SOURCE_DIR;
  std::vector<std::string> offenders;
  for (const char* dir : {"engine", "daemon", "fusefs", "util", "tools"}) {
    if (!fs::exists(root / dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      if (!entry.is_regular_file()) continue;
      auto ext = entry.path().extension();
      if (ext != ".cc" && ext != ".h") continue;
      auto rel = fs::relative(entry.path(), root).generic_string();
      if (rel.rfind("engine/v8/", 0) == 0) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find("FunctionCallbackInfo") != std::string::npos) offenders.push_back(rel);
    }
  }
  EXPECT_TRUE(offenders.empty()) << "FunctionCallbackInfo used in " << offenders.front();
  EXPECT_TRUE(fs::exists(root / "engine/v8/bind.h"));
}

TEST(Extensions, WebStandardErrorsAreRealDOMExceptions) {
  auto r = run_js(R"js(
    const show = (f) => {
      try { f(); } catch (e) {
        console.log(e instanceof DOMException, e.name, e.code, e.message, e.constructor.name);
      }
    };
    show(() => atob("a"));
    show(() => btoa("€"));
    show(() => structuredClone(() => 1));
    // The class the natives throw is the realm's own, whatever user code does to the global.
    const Original = DOMException;
    globalThis.DOMException = class Fake {};
    try { atob("!"); } catch (e) { console.log(e instanceof Original, e.name); }
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << r.exit.stack;
  EXPECT_EQ(r.lines,
            (std::vector<std::string>{
                "true InvalidCharacterError 5 atob: invalid base64 DOMException",
                "true InvalidCharacterError 5 btoa: the string contains characters outside "
                "Latin1 DOMException",
                "true DataCloneError 25 () => 1 could not be cloned. DOMException",
                "true InvalidCharacterError"}));
}

TEST(Extensions, BadArgumentsToGlobalsNameTheFunction) {
  auto r = run_js(R"js(
    for (const f of [() => setTimeout("x"), () => queueMicrotask(1), () => atob()]) {
      try { f(); } catch (e) { console.log(e.name, e.message); }
    }
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines,
            (std::vector<std::string>{"TypeError setTimeout: argument 1 must be a function",
                                      "TypeError queueMicrotask: argument 1 must be a function",
                                      "TypeError atob: 1 argument required, but only 0 present"}));
}

// What the bootstrap files share (stream internals, the abort hook) is passed to them
// privately; module code cannot reach it.
TEST(Extensions, BootstrapInternalsAreUnreachableFromModules) {
  auto r = run_js(R"js(
    console.log(typeof host, typeof internals, typeof import.meta.host);
    console.log(ReadableStream[Symbol.for("zinnia.streams")],
                AbortSignal[Symbol.for("zinnia.addAbortAlgorithm")]);
    console.log(Object.getOwnPropertySymbols(ReadableStream).length,
                Object.getOwnPropertySymbols(AbortSignal).length);
    const leaks = Object.getOwnPropertyNames(globalThis).filter((n) => /internal|zinnia\./i.test(n));
    console.log(JSON.stringify(leaks));
    // fetch still works with what it was given privately: a body stream and an abort.
    const c = new AbortController();
    c.abort();
    try { await fetch("http://127.0.0.1:9/", { signal: c.signal }); } catch (e) { console.log(e.name); }
    console.log(await new Response("hi").text());
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << r.exit.stack;
  EXPECT_EQ(r.lines,
            (std::vector<std::string>{"undefined undefined undefined", "undefined undefined", "0 0",
                                      "[]", "AbortError", "hi"}));
}

}  // namespace
}  // namespace zinnia::engine::testing
