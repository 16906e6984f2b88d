#include "engine/api/host.h"

#include <cstdint>
#include <mutex>
#include <vector>

#include "engine/api/web_hook.h"
#include "engine/fs/fs_api.h"
#include "engine/js/embedded.h"
#include "engine/loop/loop.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {
constexpr int kApiSlot = 2;  // isolate data slot holding the Api*

// Compiled code of the bootstrap files, shared by every module of the process: the second
// module compiles (and runs, so lazily compiled functions are included) and stores it, later
// ones reuse it. The first does not store: in a one-module process (`zinnia run`) serialising
// the cache was 4% of the whole start (callgrind) and never used.
struct CodeCache {
  std::mutex mu;
  std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> files;
  std::size_t bootstraps = 0;
};
CodeCache& code_cache() {
  static CodeCache* cache = new CodeCache;  // never destroyed: modules may outlive statics
  return *cache;
}

v8::MaybeLocal<v8::Script> compile_bootstrap(v8::Local<v8::Context> context, std::size_t i,
                                             v8::ScriptOrigin& origin) {
  auto* isolate = context->GetIsolate();
  std::shared_ptr<const std::vector<std::uint8_t>> data;
  {
    auto& cache = code_cache();
    std::lock_guard lock(cache.mu);
    if (i < cache.files.size()) data = cache.files[i];
  }
  auto source = to_v8(isolate, embedded::kBootstrap[i].source);
  if (!data) {
    v8::ScriptCompiler::Source src(source, origin);
    return v8::ScriptCompiler::Compile(context, &src);
  }
  // The Source owns the CachedData object, not the bytes (BufferNotOwned); `data` outlives it.
  v8::ScriptCompiler::Source src(
      source, origin,
      new v8::ScriptCompiler::CachedData(data->data(), static_cast<int>(data->size()),
                                         v8::ScriptCompiler::CachedData::BufferNotOwned));
  return v8::ScriptCompiler::Compile(context, &src, v8::ScriptCompiler::kConsumeCodeCache);
}

void store_code_cache(std::size_t i, v8::Local<v8::Script> script) {
  auto& cache = code_cache();
  {
    std::lock_guard lock(cache.mu);
    if (i < cache.files.size()) return;
  }
  std::unique_ptr<v8::ScriptCompiler::CachedData> data(
      v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript()));
  if (!data) return;
  auto bytes =
      std::make_shared<const std::vector<std::uint8_t>>(data->data, data->data + data->length);
  std::lock_guard lock(cache.mu);
  if (cache.files.size() == i) cache.files.push_back(std::move(bytes));
}
}  // namespace

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
  bool store = false;
  {
    auto& cache = code_cache();
    std::lock_guard lock(cache.mu);
    store = cache.bootstraps++ > 0;
  }
  for (std::size_t i = 0; i < embedded::kBootstrapCount; ++i) {
    const auto& file = embedded::kBootstrap[i];
    v8::ScriptOrigin origin(isolate, to_v8(isolate, file.name));
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!compile_bootstrap(context, i, origin).ToLocal(&script) ||
        !script->Run(context).ToLocal(&fn))
      return false;
    if (!fn->IsFunction()) {
      throw_type_error(isolate, std::string(file.name) + " does not evaluate to a function");
      return false;
    }
    v8::Local<v8::Value> argv[] = {global, host};
    if (fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, argv).IsEmpty())
      return false;
    if (store) store_code_cache(i, script);
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
