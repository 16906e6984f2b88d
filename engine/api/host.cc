#include "engine/api/host.h"

#include "engine/api/web_hook.h"
#include "engine/fs/fs_api.h"
#include "engine/js/embedded.h"
#include "engine/loop/loop.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {
constexpr int kApiSlot = 2;  // isolate data slot holding the Api*
}

Api::Api(Loop& loop, Sink& sink, ApiConfig config)
    : loop_(loop), sink_(sink), config_(std::move(config)), timers_(loop) {
  loop_.isolate()->SetData(kApiSlot, this);
}

Api::~Api() {
  reset();
  if (loop_.isolate()->GetData(kApiSlot) == this) loop_.isolate()->SetData(kApiSlot, nullptr);
}

Api& Api::from(v8::Isolate* isolate) { return *static_cast<Api*>(isolate->GetData(kApiSlot)); }

void Api::reset() {
  timers_.reset();
  inspect_.Reset();
  host_.Reset();
}

v8::Local<v8::Object> Api::host() const { return host_.Get(loop_.isolate()); }

bool Api::bootstrap(v8::Local<v8::Context> context) {
  auto* isolate = context->GetIsolate();
  v8::HandleScope scope(isolate);
  auto host = v8::Object::New(isolate);
  host_.Reset(isolate, host);
  install_console(context, host);
  install_globals(context, host);
  install_fs(context, host, config_.fs);
  install_web_apis(context, host);
  auto global = context->Global();
  for (std::size_t i = 0; i < embedded::kBootstrapCount; ++i) {
    const auto& file = embedded::kBootstrap[i];
    v8::ScriptOrigin origin(isolate, to_v8(isolate, file.name));
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!v8::Script::Compile(context, to_v8(isolate, file.source), &origin).ToLocal(&script) ||
        !script->Run(context).ToLocal(&fn))
      return false;
    if (!fn->IsFunction()) {
      throw_type_error(isolate, std::string(file.name) + " does not evaluate to a function");
      return false;
    }
    v8::Local<v8::Value> argv[] = {global, host};
    if (fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, argv).IsEmpty())
      return false;
  }
  v8::Local<v8::Value> inspect;
  if (host->Get(context, to_v8(isolate, "inspect")).ToLocal(&inspect) && inspect->IsFunction())
    inspect_.Reset(isolate, inspect.As<v8::Function>());
  return true;
}

std::string Api::inspect(v8::Local<v8::Value> value, char mode) {
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  auto context = isolate->GetCurrentContext();
  if (mode == 'j') {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::String> json;
    if (v8::JSON::Stringify(context, value).ToLocal(&json)) return to_utf8(isolate, json);
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return {};
    }
    return "[Circular]";
  }
  if (inspect_.IsEmpty()) return to_utf8(isolate, value);
  v8::Local<v8::Value> argv[] = {value, to_v8(isolate, std::string_view(&mode, 1))};
  v8::Local<v8::Value> out;
  v8::TryCatch try_catch(isolate);
  if (!inspect_.Get(isolate)->Call(context, v8::Undefined(isolate), 2, argv).ToLocal(&out)) {
    if (try_catch.HasTerminated()) try_catch.ReThrow();
    return "[inspect failed]";
  }
  return to_utf8(isolate, out);
}

}  // namespace zinnia::engine
