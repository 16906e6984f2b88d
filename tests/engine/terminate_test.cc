// terminate_execution() (engine/v8/isolate.h) at the moment where a plain TerminateExecution
// aborts the whole process under V8 10.2: inside Module::Evaluate, after its stack check and
// before the root module is marked evaluating. Module::Evaluate creates its promise there, so
// a promise hook runs code at exactly that point. The same hook calling
// isolate->TerminateExecution() directly fails CHECK(module->status() == kErrored) and kills
// the process. Stopping a module as it starts, or a hung turn ending during a dynamic
// import, landed there.
#include <gtest/gtest.h>
#include <v8.h>

#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"

namespace zinnia::engine::testing {
namespace {

bool g_armed = false;
int g_fired = 0;

void terminate_on_first_promise(v8::PromiseHookType type, v8::Local<v8::Promise> promise,
                                v8::Local<v8::Value>) {
  if (!g_armed || type != v8::PromiseHookType::kInit) return;
  g_armed = false;
  ++g_fired;
  terminate_execution(promise->GetIsolate());
}

v8::MaybeLocal<v8::Module> no_imports(v8::Local<v8::Context>, v8::Local<v8::String>,
                                      v8::Local<v8::FixedArray>, v8::Local<v8::Module>) {
  return {};
}

TEST(Terminate, InsideModuleEvaluateEndsTheModuleNotTheProcess) {
  initialize_v8();
  IsolateHolder holder(std::size_t{64} << 20);
  v8::Isolate* isolate = holder.get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  auto context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  v8::ScriptOrigin origin(isolate, v8::String::NewFromUtf8Literal(isolate, "main.js"), 0, 0, false,
                          -1, {}, false, false, true);
  v8::ScriptCompiler::Source source(v8::String::NewFromUtf8Literal(isolate, "globalThis.ran = 1;"),
                                    origin);
  auto module = v8::ScriptCompiler::CompileModule(isolate, &source).ToLocalChecked();
  ASSERT_TRUE(module->InstantiateModule(context, &no_imports).FromMaybe(false));

  isolate->SetPromiseHook(&terminate_on_first_promise);
  g_armed = true;
  {
    v8::TryCatch try_catch(isolate);
    EXPECT_TRUE(module->Evaluate(context).IsEmpty());
    EXPECT_TRUE(try_catch.HasTerminated());
  }
  isolate->SetPromiseHook(nullptr);
  EXPECT_EQ(g_fired, 1) << "the hook ran inside Module::Evaluate";
  EXPECT_EQ(module->GetStatus(), v8::Module::kErrored);

  // The module's code never ran, and the isolate goes on once the termination is cancelled.
  isolate->CancelTerminateExecution();
  auto ran = context->Global()
                 ->Get(context, v8::String::NewFromUtf8Literal(isolate, "ran"))
                 .ToLocalChecked();
  EXPECT_TRUE(ran->IsUndefined());
}

}  // namespace
}  // namespace zinnia::engine::testing
