#pragma once
#include <v8.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/modules/resolver.h"

namespace zinnia::engine {

// ES module loading for one isolate: files (JS, and JSON with `assert {type: "json"}`),
// built-ins ("zinnia:*", embedded), static and dynamic import(), import.meta
// (url, filename, dirname, main; `host` for built-ins only).
class Loader {
 public:
  Loader(v8::Isolate* isolate, ResolveOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  static Loader& from(v8::Isolate* isolate);

  // The natives object given to built-in modules as import.meta.host.
  void set_host(v8::Local<v8::Object> host);
  // Loads, links and evaluates the entry file. Returns the evaluation promise (settled unless
  // the module uses top-level await), or empty with an exception pending.
  v8::MaybeLocal<v8::Promise> run_entry(v8::Local<v8::Context> context,
                                        const std::filesystem::path& entry);
  // Drops every Global (before the isolate is disposed).
  void reset();

 private:
  struct Info;
  static v8::MaybeLocal<v8::Module> on_resolve(v8::Local<v8::Context> context,
                                               v8::Local<v8::String> specifier,
                                               v8::Local<v8::FixedArray> assertions,
                                               v8::Local<v8::Module> referrer);
  static v8::MaybeLocal<v8::Promise> on_dynamic_import(v8::Local<v8::Context> context,
                                                       v8::Local<v8::Data> options,
                                                       v8::Local<v8::Value> resource_name,
                                                       v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray> assertions);
  static void on_import_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                             v8::Local<v8::Object> meta);
  static v8::MaybeLocal<v8::Value> evaluate_json(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Module> module);

  v8::MaybeLocal<v8::Module> load(v8::Local<v8::Context> context, std::string_view specifier,
                                  std::string_view referrer, std::string_view type);
  v8::MaybeLocal<v8::Module> compile(v8::Local<v8::Context> context, const std::string& key,
                                     const std::string& name, const std::string& path,
                                     std::string_view source, bool builtin, bool json);
  Info* find(v8::Local<v8::Module> module);

  v8::Isolate* isolate_;
  ResolveOptions options_;
  v8::Global<v8::Object> host_;
  std::string entry_;
  std::unordered_map<std::string, std::unique_ptr<Info>> by_key_;
  std::unordered_multimap<int, Info*> by_hash_;
};

}  // namespace zinnia::engine
