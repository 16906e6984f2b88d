#pragma once
#include <v8.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engine/api/code_cache.h"
#include "engine/fs/guest_fs.h"
#include "engine/loop/timers.h"
#include "engine/sink.h"
#include "engine/v8/bind.h"

namespace zinnia::engine {

class Loop;

struct ApiConfig {
  std::string module_name;
  std::string wallet_address;
  std::string station_id;
  std::shared_ptr<GuestFs> fs;      // behind zinnia:fs
  std::string user_agent;           // fetch's User-Agent (host.userAgent)
  CodeCache* code_cache = nullptr;  // the runtime's; null: compile every time
  bool colors = false;              // host.colors: zinnia:test's report may use ANSI colours
};

// The host APIs of one module: installs the extensions' natives on the `host` object, runs
// their bootstrap JS, and holds the per-module state the engine's own natives share (sink,
// timers, inspect function, exit code): the state of the timers/globals/console/zinnia
// extensions (bind::with_state<Api>).
class Api {
 public:
  Api(Loop& loop, Sink& sink, ApiConfig config);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  static Api& from(v8::Isolate* isolate);
  // The extension state of the engine's own natives is this module's Api (not owned by them).
  static Api* borrow(v8::Local<v8::Context> context) { return &from(context->GetIsolate()); }

  // How the module's context was made, i.e. how much of the bootstrap is left to run.
  enum class Boot : std::uint8_t {
    kFresh,         // Context::New: everything below runs here
    kFromSnapshot,  // Context::FromSnapshot (engine/runtime/snapshot.h): states, values, hooks
    kForSnapshot,   // making the snapshot: natives and files, nothing per module
  };
  // Creates `host`, makes each extension's state and installs its natives, constants and
  // per-module values, then runs every extension's bootstrap files in list order, each as
  // (globalThis, host, internals): `internals` is shared by the bootstrap files only, never
  // given to modules. Last, the functions the files put in `internals.moduleStart` run: what
  // is per module (the Zinnia global, the loop's error hook), which a startup snapshot cannot
  // hold. Returns false with an exception pending on the caller's TryCatch (a name registered
  // twice, a bootstrap file missing or throwing).
  bool bootstrap(v8::Local<v8::Context> context, std::span<const bind::Extension* const> extensions,
                 Boot boot = Boot::kFresh);
  v8::Local<v8::Object> host() const;
  // The bootstrap's `internals` (kForSnapshot: kept for the snapshot; else empty).
  v8::Local<v8::Object> internals() const;
  // Indices of `host` and `internals` in a snapshot's context data (SnapshotCreator::AddData).
  static constexpr std::size_t kSnapshotHost = 0;
  static constexpr std::size_t kSnapshotInternals = 1;

  Loop& loop() { return loop_; }
  Sink& sink() { return sink_; }
  Timers& timers() { return timers_; }
  const ApiConfig& config() const { return config_; }
  // Exit status asked for by JS (zinnia:test sets 1 when a test failed).
  int exit_code() const { return exit_code_; }
  void set_exit_code(int code) { exit_code_ = code; }
  // console.group() depth in spaces: prefixed to every console line.
  const std::string& group_indent() const { return group_indent_; }
  void set_group_indent(std::size_t spaces) { group_indent_.assign(spaces, ' '); }
  // Deno-like inspection of `value` via the bootstrap's host.inspect ("" if unavailable).
  std::string inspect(v8::Local<v8::Value> value, char mode);
  // Drops every Global (before the isolate is disposed).
  void reset();

 private:
  Loop& loop_;
  Sink& sink_;
  ApiConfig config_;
  Timers timers_;
  v8::Global<v8::Object> host_;
  v8::Global<v8::Object> internals_;
  v8::Global<v8::Function> inspect_;
  int exit_code_ = 0;
  std::string group_indent_;
};

// The string resource of each embedded bootstrap file (embedded::kBootstrap order), made once
// per process; used only for the files that are ASCII (is_ascii).
std::span<v8::String::ExternalOneByteStringResource* const> bootstrap_resources();

// The engine's own extensions (listed in engine/runtime/extensions.cc).
const bind::Extension& timers_extension();   // setTimeout, setInterval, clear*
const bind::Extension& globals_extension();  // queueMicrotask, structuredClone, atob, btoa
const bind::Extension& console_extension();  // console.log ... and host.print
const bind::Extension& zinnia_extension();   // the Zinnia global, zinnia:assert, zinnia:test

// structuredClone (clone.cc, built without RTTI).
v8::MaybeLocal<v8::Value> structured_clone(bind::Call& call, bind::Rest args);

}  // namespace zinnia::engine
