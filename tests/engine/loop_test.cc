// The per-module loop API that async natives (fetch, zinnia:fs) build on, driven directly.
#include "engine/loop/loop.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

struct LoopFixture : ::testing::Test {
  LoopFixture() : holder((initialize_v8(), std::size_t{64} << 20)) {}
  IsolateHolder holder;
  v8::Isolate* isolate = holder.get();
};

v8::Local<v8::Value> eval(v8::Local<v8::Context> context, const char* code) {
  auto* isolate = context->GetIsolate();
  return v8::Script::Compile(context, to_v8(isolate, code))
      .ToLocalChecked()
      ->Run(context)
      .ToLocalChecked();
}

TEST_F(LoopFixture, PostFromAnotherThreadRunsOnTheLoopAndRefKeepsItAlive) {
  v8::Locker locker(isolate);
  v8::Isolate::Scope is(isolate);
  v8::HandleScope hs(isolate);
  auto context = v8::Context::New(isolate);
  v8::Context::Scope cs(context);
  {
    Loop loop(isolate, context);
    auto ref = std::make_unique<Loop::Ref>(loop.ref());
    auto resolver = v8::Promise::Resolver::New(context).ToLocalChecked();
    v8::Global<v8::Promise::Resolver> pending(isolate, resolver);
    auto global = context->Global();
    ASSERT_TRUE(global->Set(context, to_v8(isolate, "p"), resolver->GetPromise()).FromJust());
    eval(context, "globalThis.out = []; p.then((v) => out.push('resolved ' + v));");
    std::thread::id loop_thread = std::this_thread::get_id(), ran_on;
    std::thread worker([poster = loop.poster(), &ran_on, &pending, &ref, isolate = isolate] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      EXPECT_TRUE(poster->post([&, isolate] {
        ran_on = std::this_thread::get_id();
        auto& l = Loop::from(isolate);
        auto r = pending.Get(isolate);
        pending.Reset();
        EXPECT_TRUE(r->Resolve(l.context(), v8::Integer::New(isolate, 7)).FromJust());
        ref.reset();  // the work is done: the loop may finish
      }));
    });
    loop.run_until_done();  // would return at once without the Ref
    worker.join();
    EXPECT_EQ(ran_on, loop_thread);
    EXPECT_EQ(to_utf8(isolate, eval(context, "out.join()")), "resolved 7");
    EXPECT_FALSE(loop.failure());
    auto poster = loop.poster();
    loop.close();
    EXPECT_FALSE(poster->post([] {}));  // the module is gone
  }
}

TEST_F(LoopFixture, CallReportsExceptionsAndRunsMicrotasks) {
  v8::Locker locker(isolate);
  v8::Isolate::Scope is(isolate);
  v8::HandleScope hs(isolate);
  auto context = v8::Context::New(isolate);
  v8::Context::Scope cs(context);
  Loop loop(isolate, context);
  int hooks = 0;
  loop.on_turn_end = [&] { ++hooks; };
  auto fn =
      eval(context,
           "globalThis.log = []; (x) => { Promise.resolve().then(() => log.push('micro ' + x)); }")
          .As<v8::Function>();
  v8::Local<v8::Value> argv[] = {v8::Integer::New(isolate, 1)};
  EXPECT_TRUE(loop.call(fn, v8::Undefined(isolate), 1, argv));
  EXPECT_EQ(to_utf8(isolate, eval(context, "log.join()")), "micro 1");
  EXPECT_EQ(hooks, 1);
  auto bad =
      eval(context, "() => { throw new Error('native callback failed'); }").As<v8::Function>();
  EXPECT_FALSE(loop.call(bad, v8::Undefined(isolate), 0, nullptr));
  ASSERT_TRUE(loop.failure());
  EXPECT_EQ(loop.failure()->report.message, "Uncaught Error: native callback failed");
  EXPECT_TRUE(loop.ending());
  EXPECT_FALSE(loop.call(fn, v8::Undefined(isolate), 1, argv));  // nothing runs once ending
  loop.close();
}

}  // namespace
}  // namespace zinnia::engine
