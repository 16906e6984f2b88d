#include "engine/api/host.h"

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "engine/js/embedded.h"
#include "engine/loop/loop.h"
#include "engine/v8/util.h"

namespace zinnia::engine {

std::span<v8::String::ExternalOneByteStringResource* const> bootstrap_resources() {
  // Never destroyed: an isolate may hold the resources until the process ends.
  static const auto* all = [] {
    auto* out = new std::vector<v8::String::ExternalOneByteStringResource*>;
    for (std::size_t i = 0; i < embedded::kBootstrapCount; ++i)
      out->push_back(static_resource(embedded::kBootstrap[i].source));
    return out;
  }();
  return *all;
}

namespace {
constexpr int kApiSlot = 2;  // isolate data slot holding the Api*

v8::MaybeLocal<v8::Script> compile_bootstrap(v8::Local<v8::Context> context, std::size_t i,
                                             v8::ScriptOrigin& origin, CodeCache* cache,
                                             CodeCache::Use& use) {
  auto* isolate = context->GetIsolate();
  CodeCache::Bytes data = cache ? cache->get(i) : nullptr;
  // ASCII is Latin-1: read in place, no copy and no UTF-8 decoding (~6M instructions per start
  // for the bootstrap files). Scanned once per process, and only on this path (the startup
  // snapshot's strings are external already).
  static const std::vector<bool> ascii = [] {
    std::vector<bool> out;
    for (std::size_t f = 0; f < embedded::kBootstrapCount; ++f)
      out.push_back(is_ascii(embedded::kBootstrap[f].source));
    return out;
  }();
  auto source = static_string(isolate, ascii[i] ? bootstrap_resources()[i] : nullptr,
                              embedded::kBootstrap[i].source);
  if (!data) {
    ++use.compiled;
    v8::ScriptCompiler::Source src(source, origin);
    return v8::ScriptCompiler::Compile(context, &src);
  }
  // The Source owns the CachedData object, not the bytes (BufferNotOwned); `data` outlives it.
  v8::ScriptCompiler::Source src(
      source, origin,
      new v8::ScriptCompiler::CachedData(data->data(), static_cast<int>(data->size()),
                                         v8::ScriptCompiler::CachedData::BufferNotOwned));
  auto script = v8::ScriptCompiler::Compile(context, &src, v8::ScriptCompiler::kConsumeCodeCache);
  // V8's own check (its version, flags, the source's length, a checksum) refused it: V8 has
  // compiled from source instead; drop the entry so this bootstrap stores a fresh one.
  if (src.GetCachedData()->rejected) {
    ++use.rejected;
    cache->reject(i);
  } else {
    ++use.consumed;
  }
  return script;
}

void store_code_cache(CodeCache& cache, std::size_t i, v8::Local<v8::Script> script,
                      CodeCache::Use& use) {
  if (cache.get(i)) return;
  std::unique_ptr<v8::ScriptCompiler::CachedData> data(
      v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript()));
  if (!data) return;
  if (cache.put(i, std::make_shared<const std::vector<std::uint8_t>>(data->data,
                                                                     data->data + data->length)))
    ++use.stored;
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
  bind::forget(loop_.isolate());
  timers_.reset();
  inspect_.Reset();
  internals_.Reset();
  host_.Reset();
}

v8::Local<v8::Object> Api::host() const { return host_.Get(loop_.isolate()); }
v8::Local<v8::Object> Api::internals() const { return internals_.Get(loop_.isolate()); }

namespace {

// Where each extension's bootstrap files are in the embedded table; checked once per process
// (a file listed by no extension, or missing from the build, is a start-up error).
struct BootstrapPlan {
  std::vector<std::size_t> order;  // embedded::kBootstrap indices, in run order
  std::string problems;
};
BootstrapPlan plan_bootstrap(std::span<const bind::Extension* const> extensions) {
  BootstrapPlan plan;
  plan.problems = bind::check(extensions);
  std::vector<bool> claimed(embedded::kBootstrapCount, false);
  for (const bind::Extension* ext : extensions) {
    for (std::string_view file : ext->js) {
      std::size_t i = 0;
      while (i < embedded::kBootstrapCount && embedded::kBootstrap[i].name != file) ++i;
      if (i == embedded::kBootstrapCount) {
        plan.problems += "extension '" + std::string(ext->name) + "': bootstrap file " +
                         std::string(file) + " is not built in\n";
      } else if (claimed[i]) {
        plan.problems += "bootstrap file " + std::string(file) + " is listed twice\n";
      } else {
        claimed[i] = true;
        plan.order.push_back(i);
      }
    }
    for (std::string_view name : ext->modules) {
      bool found = false;
      for (std::size_t m = 0; m < embedded::kBuiltinModuleCount; ++m)
        found = found || embedded::kBuiltinModules[m].name == name;
      if (!found)
        plan.problems += "extension '" + std::string(ext->name) + "': built-in module " +
                         std::string(name) + " is not built in\n";
    }
  }
  for (std::size_t i = 0; i < embedded::kBootstrapCount; ++i)
    if (!claimed[i] && !embedded::kBootstrap[i].name.empty())
      plan.problems += "bootstrap file " + std::string(embedded::kBootstrap[i].name) +
                       " belongs to no extension\n";
  return plan;
}

// Runs the bootstrap files in order (through the code cache, when there is one).
bool run_files(v8::Local<v8::Context> context, const BootstrapPlan& plan,
               v8::Local<v8::Object> host, v8::Local<v8::Object> internals, CodeCache* cache) {
  auto* isolate = context->GetIsolate();
  auto global = context->Global();
  const bool store = cache && cache->begin();
  CodeCache::Use use;
  std::vector<std::pair<std::size_t, v8::Local<v8::Script>>> scripts;
  for (std::size_t i : plan.order) {
    const auto& file = embedded::kBootstrap[i];
    v8::ScriptOrigin origin(isolate, to_v8(isolate, file.name));
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> fn;
    if (!compile_bootstrap(context, i, origin, cache, use).ToLocal(&script) ||
        !script->Run(context).ToLocal(&fn))
      return false;
    if (!fn->IsFunction()) {
      throw_type_error(isolate, std::string(file.name) + " does not evaluate to a function");
      return false;
    }
    v8::Local<v8::Value> argv[] = {global, host, internals};
    if (fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, argv).IsEmpty())
      return false;
    if (store) scripts.emplace_back(i, script);
  }
  // Stored once every file has run, so functions one file calls in another (compiled lazily
  // then) are in the cache too.
  for (const auto& [i, script] : scripts) store_code_cache(*cache, i, script, use);
  if (cache) cache->end(use);
  return true;
}

}  // namespace

bool Api::bootstrap(v8::Local<v8::Context> context,
                    std::span<const bind::Extension* const> extensions, Boot boot) {
  auto* isolate = context->GetIsolate();
  v8::HandleScope scope(isolate);
  // The engine's own list is planned once; another list (tests) each time.
  static const auto* planned_for = extensions.data();
  static const BootstrapPlan engine_plan = plan_bootstrap(extensions);
  const BootstrapPlan plan =
      extensions.data() == planned_for ? engine_plan : plan_bootstrap(extensions);
  if (!plan.problems.empty()) {
    throw_error(isolate, "the engine's extension list is inconsistent:\n" + plan.problems);
    return false;
  }
  v8::Local<v8::Object> host, internals;
  if (boot == Boot::kFromSnapshot) {
    // The snapshot holds host with its natives, and internals; each native's data is the
    // index of its state, so the states are registered again in the same order.
    if (!context->GetDataFromSnapshotOnce<v8::Object>(kSnapshotHost).ToLocal(&host) ||
        !context->GetDataFromSnapshotOnce<v8::Object>(kSnapshotInternals).ToLocal(&internals)) {
      throw_error(isolate, "the startup snapshot has no host object");
      return false;
    }
  } else {
    host = v8::Object::New(isolate);
    internals = v8::Object::New(isolate);
    discard(internals->Set(context, to_v8(isolate, "moduleStart"), v8::Array::New(isolate)));
  }
  host_.Reset(isolate, host);
  for (const bind::Extension* ext : extensions) {
    void* state = ext->create ? ext->create(context) : nullptr;
    if (state && ext->destroy) loop_.on_close([state, destroy = ext->destroy] { destroy(state); });
    if (boot == Boot::kFromSnapshot) {
      if (state) bind::register_state(isolate, state);
      if (!bind::attach_values(context, host, *ext, state)) return false;
    } else if (!bind::install(context, host, *ext, state, boot == Boot::kFresh)) {
      return false;
    }
  }
  if (boot != Boot::kFromSnapshot && !run_files(context, plan, host, internals, config_.code_cache))
    return false;
  if (boot == Boot::kForSnapshot) {
    internals_.Reset(isolate, internals);
    return true;
  }
  // What is per module, in the order the files asked for it.
  v8::Local<v8::Value> hooks;
  if (!internals->Get(context, to_v8(isolate, "moduleStart")).ToLocal(&hooks)) return false;
  if (hooks->IsArray()) {
    auto list = hooks.As<v8::Array>();
    for (std::uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> fn;
      if (!list->Get(context, i).ToLocal(&fn)) return false;
      if (fn->IsFunction() &&
          fn.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).IsEmpty())
        return false;
    }
  }
  v8::Local<v8::Value> dom_exception;
  if (internals->Get(context, to_v8(isolate, "DOMException")).ToLocal(&dom_exception) &&
      dom_exception->IsFunction())
    bind::set_dom_exception_class(isolate, dom_exception.As<v8::Function>());
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
