#pragma once
#include <v8.h>

#include <memory>
#include <string>

#include "engine/fs/guest_fs.h"
#include "engine/loop/timers.h"
#include "engine/runtime/sink.h"  // the engine's outward interface (no runtime code)

namespace zinnia::engine {

class Loop;

struct ApiConfig {
  std::string module_name;
  std::string wallet_address;
  std::string station_id;
  std::shared_ptr<GuestFs> fs;  // behind zinnia:fs
  std::string user_agent;       // fetch's User-Agent (host.userAgent)
  bool colors = false;          // host.colors: zinnia:test's report may use ANSI colours
};

// The host APIs of one module: fills the `host` natives object, runs the bootstrap JS, and
// holds the per-module state the natives need (sink, timers, inspect function, exit code).
class Api {
 public:
  Api(Loop& loop, Sink& sink, ApiConfig config);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  static Api& from(v8::Isolate* isolate);

  // Creates `host`, installs the engine natives then install_web_apis(), then runs every
  // bootstrap file. Returns false with an exception pending on the caller's TryCatch.
  bool bootstrap(v8::Local<v8::Context> context);
  v8::Local<v8::Object> host() const;

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
  v8::Global<v8::Function> inspect_;
  int exit_code_ = 0;
  std::string group_indent_;
};

// Engine natives, installed on `host` by Api::bootstrap.
void install_console(v8::Local<v8::Context> context, v8::Local<v8::Object> host);
void install_globals(v8::Local<v8::Context> context, v8::Local<v8::Object> host);
void install_clone(v8::Local<v8::Context> context, v8::Local<v8::Object> host);

}  // namespace zinnia::engine
