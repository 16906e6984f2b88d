#include "engine/modules/loader.h"

#include <fstream>
#include <sstream>

#include "engine/js/embedded.h"
#include "engine/v8/bind.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {
constexpr int kLoaderSlot = 1;  // isolate data slot holding the Loader*

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  return true;
}

// The referrer key for a script's resource name: a path for file: URLs, else the name.
std::string key_from_resource(v8::Isolate* isolate, v8::Local<v8::Value> name) {
  std::string s = to_utf8(isolate, name);
  if (s.starts_with("file://")) {
    auto r = resolve_specifier(s, "", ResolveOptions{"/", false});
    if (r.kind == Resolved::Kind::kFile) return r.value;
    return s.substr(7);
  }
  return s;
}

// The "type" of an import assertion list [key, value, (location,)...].
std::string assertion_type(v8::Local<v8::Context> context, v8::Local<v8::FixedArray> assertions,
                           int stride) {
  auto* isolate = context->GetIsolate();
  if (assertions.IsEmpty()) return {};
  for (int i = 0; i + 1 < assertions->Length(); i += stride) {
    auto k = assertions->Get(context, i);
    auto v = assertions->Get(context, i + 1);
    if (!k->IsValue() || !v->IsValue()) continue;
    if (to_utf8(isolate, k.As<v8::Value>()) == "type") return to_utf8(isolate, v.As<v8::Value>());
  }
  return {};
}

// A reaction returning the module namespace it was made with.
v8::Local<v8::Value> return_namespace(bind::Call& call) { return call.data(); }

}  // namespace

struct Loader::Info {
  v8::Global<v8::Module> module;
  std::string key;
  std::string url;   // import.meta.url
  std::string path;  // empty for built-ins
  bool builtin = false;
  std::string json;   // JSON source until evaluation
  std::string shown;  // JSON: the specifier it was first imported by, for parse errors
};

Loader::Loader(v8::Isolate* isolate, ResolveOptions options)
    : isolate_(isolate), options_(std::move(options)) {
  isolate_->SetData(kLoaderSlot, this);
  isolate_->SetHostImportModuleDynamicallyCallback(&Loader::on_dynamic_import);
  isolate_->SetHostInitializeImportMetaObjectCallback(&Loader::on_import_meta);
}

Loader::~Loader() {
  reset();
  if (isolate_->GetData(kLoaderSlot) == this) isolate_->SetData(kLoaderSlot, nullptr);
}

Loader& Loader::from(v8::Isolate* isolate) {
  return *static_cast<Loader*>(isolate->GetData(kLoaderSlot));
}

void Loader::reset() {
  by_hash_.clear();
  by_key_.clear();
  host_.Reset();
}

void Loader::set_host(v8::Local<v8::Object> host) { host_.Reset(isolate_, host); }

Loader::Info* Loader::find(v8::Local<v8::Module> module) {
  auto [b, e] = by_hash_.equal_range(module->GetIdentityHash());
  for (auto it = b; it != e; ++it)
    if (it->second->module == module) return it->second;
  return nullptr;
}

v8::MaybeLocal<v8::Module> Loader::compile(v8::Local<v8::Context> context, const std::string& key,
                                           const std::string& name, const std::string& path,
                                           std::string_view source, bool builtin, bool json) {
  auto info = std::make_unique<Info>();
  info->key = key;
  info->url = name;
  info->path = path;
  info->builtin = builtin;
  v8::Local<v8::Module> module;
  if (json) {
    std::vector<v8::Local<v8::String>> exports{to_v8(isolate_, "default", true)};
    module = v8::Module::CreateSyntheticModule(isolate_, to_v8(isolate_, name), exports,
                                               &Loader::evaluate_json);
    info->json.assign(source);
  } else {
    v8::ScriptOrigin origin(isolate_, to_v8(isolate_, name), 0, 0, false, -1, {}, false, false,
                            true);
    v8::ScriptCompiler::Source src(to_v8(isolate_, source), origin);
    if (!v8::ScriptCompiler::CompileModule(isolate_, &src).ToLocal(&module)) return {};
  }
  (void)context;
  info->module.Reset(isolate_, module);
  by_hash_.emplace(module->GetIdentityHash(), info.get());
  by_key_[key] = std::move(info);
  return module;
}

v8::MaybeLocal<v8::Module> Loader::load(v8::Local<v8::Context> context, std::string_view specifier,
                                        std::string_view referrer, std::string_view type) {
  auto r = resolve_specifier(specifier, referrer, options_);
  if (r.kind == Resolved::Kind::kError) {
    throw_type_error(isolate_, r.value);
    return {};
  }
  if (!type.empty() && type != "json") {
    throw_type_error(isolate_, "Invalid import assertion type \"" + std::string(type) +
                                   "\" for \"" + std::string(specifier) + "\"");
    return {};
  }
  bool json = type == "json";
  std::string key = json ? "json:" + r.value : r.value;
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second->module.Get(isolate_);
  if (r.kind == Resolved::Kind::kBuiltin) {
    for (std::size_t i = 0; i < embedded::kBuiltinModuleCount; ++i) {
      const auto& f = embedded::kBuiltinModules[i];
      if (f.name == r.value) return compile(context, key, r.value, "", f.source, true, json);
    }
    throw_type_error(isolate_, "Unknown built-in module \"" + r.value + "\"");
    return {};
  }
  // Errors name the specifier as written, never the resolved host path (issue 19 #12).
  const std::string shown(specifier);
  if (!json && r.value.ends_with(".json")) {
    throw_type_error(isolate_, "Expected a JavaScript module, but \"" + shown +
                                   "\" is JSON; import it with assert { type: \"json\" }");
    return {};
  }
  std::string source;
  if (!read_file(r.value, &source)) {
    throw_type_error(isolate_, "Cannot read module \"" + shown + "\"");
    return {};
  }
  auto module = compile(context, key, path_to_file_url(r.value), r.value, source, false, json);
  if (json && !module.IsEmpty()) by_key_[key]->shown = shown;
  return module;
}

v8::MaybeLocal<v8::Module> Loader::on_resolve(v8::Local<v8::Context> context,
                                              v8::Local<v8::String> specifier,
                                              v8::Local<v8::FixedArray> assertions,
                                              v8::Local<v8::Module> referrer) {
  auto* isolate = context->GetIsolate();
  auto& self = from(isolate);
  Info* ref = self.find(referrer);
  return self.load(context, to_utf8(isolate, specifier), ref ? ref->key : self.entry_,
                   assertion_type(context, assertions, 3));
}

v8::MaybeLocal<v8::Promise> Loader::on_dynamic_import(v8::Local<v8::Context> context,
                                                      v8::Local<v8::Data>,
                                                      v8::Local<v8::Value> resource_name,
                                                      v8::Local<v8::String> specifier,
                                                      v8::Local<v8::FixedArray> assertions) {
  auto* isolate = context->GetIsolate();
  auto& self = from(isolate);
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  v8::TryCatch try_catch(isolate);
  std::string referrer = key_from_resource(isolate, resource_name);
  if (referrer.empty() || !(referrer.starts_with("/") || referrer.starts_with("zinnia:")))
    referrer = self.entry_;
  v8::Local<v8::Module> module;
  v8::Local<v8::Value> result;
  bool ok = self.load(context, to_utf8(isolate, specifier), referrer,
                      assertion_type(context, assertions, 2))
                .ToLocal(&module);
  if (ok && module->GetStatus() == v8::Module::kUninstantiated)
    ok = module->InstantiateModule(context, &Loader::on_resolve).FromMaybe(false);
  if (ok) ok = module->Evaluate(context).ToLocal(&result);
  if (!ok) {
    if (try_catch.HasTerminated()) return {};
    discard(resolver->Reject(context, try_catch.Exception()));
    return scope.Escape(resolver->GetPromise());
  }
  auto ns = module->GetModuleNamespace();
  if (result->IsPromise()) {
    auto then = bind::function<"returnNamespace", &return_namespace>(context, ns);
    v8::Local<v8::Promise> chained;
    if (result.As<v8::Promise>()->Then(context, then).ToLocal(&chained))
      discard(resolver->Resolve(context, chained));
  } else {
    discard(resolver->Resolve(context, ns));
  }
  return scope.Escape(resolver->GetPromise());
}

void Loader::on_import_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                            v8::Local<v8::Object> meta) {
  auto* isolate = context->GetIsolate();
  auto& self = from(isolate);
  Info* info = self.find(module);
  if (!info) return;
  auto set = [&](std::string_view k, v8::Local<v8::Value> v) {
    discard(meta->CreateDataProperty(context, to_v8(isolate, k, true), v));
  };
  set("url", to_v8(isolate, info->url));
  set("main", v8::Boolean::New(isolate, info->key == self.entry_));
  if (!info->path.empty()) {
    std::filesystem::path p(info->path);
    set("filename", to_v8(isolate, p.string()));
    set("dirname", to_v8(isolate, p.parent_path().string()));
  }
  if (info->builtin && !self.host_.IsEmpty()) set("host", self.host_.Get(isolate));
}

v8::MaybeLocal<v8::Value> Loader::evaluate_json(v8::Local<v8::Context> context,
                                                v8::Local<v8::Module> module) {
  auto* isolate = context->GetIsolate();
  auto& self = from(isolate);
  Info* info = self.find(module);
  // V8 wants a pending exception when the steps fail: ReThrow makes the TryCatch leave one.
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> value;
  if (info && !v8::JSON::Parse(context, to_v8(isolate, info->json)).ToLocal(&value)) {
    if (!try_catch.HasCaught() || try_catch.HasTerminated()) return {};
    // JSON.parse's errors do not say which file: name it as the module wrote it, keeping
    // the error's class (SyntaxError, or RangeError for nesting too deep).
    std::string why = to_utf8(isolate, try_catch.Exception());
    const bool syntax = why.starts_with("SyntaxError: "), range = why.starts_with("RangeError: ");
    if (syntax || range) {
      const auto text = to_v8(isolate, "Unable to parse JSON module \"" + info->shown +
                                           "\": " + why.substr(syntax ? 13 : 12));
      try_catch.Reset();
      isolate->ThrowException(syntax ? v8::Exception::SyntaxError(text)
                                     : v8::Exception::RangeError(text));
    }
    try_catch.ReThrow();
    return {};
  }
  if (!info || module->SetSyntheticModuleExport(isolate, to_v8(isolate, "default", true), value)
                   .IsNothing()) {
    if (try_catch.HasCaught() && !try_catch.HasTerminated()) try_catch.ReThrow();
    return {};
  }
  info->json.clear();
  info->json.shrink_to_fit();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  discard(resolver->Resolve(context, v8::Undefined(isolate)));
  return resolver->GetPromise();
}

v8::MaybeLocal<v8::Promise> Loader::run_entry(v8::Local<v8::Context> context,
                                              const std::filesystem::path& entry) {
  v8::EscapableHandleScope scope(isolate_);
  std::error_code ec;
  auto canonical = std::filesystem::canonical(entry, ec);
  if (ec) {
    throw_type_error(isolate_, "Module not found \"" + path_to_file_url(entry.string()) + "\"");
    return {};
  }
  entry_ = canonical.string();
  v8::Local<v8::Module> module;
  if (!load(context, path_to_file_url(entry_), entry_, "").ToLocal(&module)) return {};
  if (!module->InstantiateModule(context, &Loader::on_resolve).FromMaybe(false)) return {};
  v8::Local<v8::Value> result;
  if (!module->Evaluate(context).ToLocal(&result)) return {};
  if (!result->IsPromise()) return {};
  return scope.Escape(result.As<v8::Promise>());
}

}  // namespace zinnia::engine
