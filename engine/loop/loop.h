#pragma once
#include <uv.h>
#include <v8.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/v8/util.h"

namespace zinnia::engine {

class Loop;

// A handle other threads hold to send work to one module's thread. Outlives the Loop.
class Poster {
 public:
  // Runs `fn` on the module thread as one turn (HandleScope + Context::Scope entered,
  // microtask checkpoint and uncaught-error handling after it) and wakes the loop.
  // Returns false, and destroys `fn` on the calling thread, once the module has ended;
  // so `fn` must never own a v8::Global (keep those in module-side state, see Loop::on_close).
  bool post(std::function<void()> fn);

 private:
  friend class Loop;
  std::mutex mu_;
  Loop* loop_ = nullptr;  // null once closed
};

// One module's event loop (libuv), living on the module's thread. Every member is for the
// module thread only, except poster().
class Loop {
 public:
  // Reasons the loop stopped early, for the runtime's exit report.
  struct Failure {
    ErrorReport report;  // message + stack
  };

  Loop(v8::Isolate* isolate, v8::Local<v8::Context> context);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The loop of the isolate/context that is running now (module thread only).
  static Loop& from(v8::Isolate* isolate);

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  uv_loop_t* uv() { return &uv_; }

  // --- Keeping the module alive -----------------------------------------------------------
  // While a Ref exists, the loop does not finish (e.g. an in-flight fetch). Module thread only.
  class Ref {
   public:
    Ref() = default;
    explicit Ref(Loop* loop);
    Ref(Ref&& other) noexcept : loop_(other.loop_) { other.loop_ = nullptr; }
    Ref& operator=(Ref&& other) noexcept;
    ~Ref() { reset(); }
    void reset();

   private:
    Loop* loop_ = nullptr;
  };
  Ref ref() { return Ref(this); }

  // --- Running JavaScript as one turn ----------------------------------------------------
  // Calls `fn` with a TryCatch. An exception ends the module (kUncaught); then the microtask
  // checkpoint runs and unhandled rejections are reported. Needs a HandleScope; enters the
  // context itself. Returns false if the module is ending (exception or termination).
  bool call(v8::Local<v8::Function> fn, v8::Local<v8::Value> recv, int argc,
            v8::Local<v8::Value> argv[]);
  // Runs native code that touches JS (e.g. resolves a promise) as one turn, same handling.
  bool run(const std::function<void()>& fn);
  // Settle a promise as one turn.
  bool resolve(v8::Local<v8::Promise::Resolver> resolver, v8::Local<v8::Value> value);
  bool reject(v8::Local<v8::Promise::Resolver> resolver, v8::Local<v8::Value> reason);

  // --- Other threads -----------------------------------------------------------------------
  std::shared_ptr<Poster> poster() const { return poster_; }

  // Runs `fn` on the module thread when the loop closes (after JS has stopped, before the
  // isolate is disposed), last registered first: cancel workers, reset Globals.
  void on_close(std::function<void()> fn) { close_hooks_.push_back(std::move(fn)); }

  // --- For the runtime -----------------------------------------------------------------------
  // Runs until nothing is pending or the module ends. Returns at once if already ending.
  void run_until_done();
  // Ends the module: stops the loop at the end of this turn. The first failure is kept.
  void end(std::optional<Failure> failure = std::nullopt);
  bool ending() const { return ending_; }
  const std::optional<Failure>& failure() const { return failure_; }
  // Set by the runtime: called at every turn start/end (watchdog, Sink::turn_end).
  std::function<void()> on_turn_begin, on_turn_end;
  // True when the last JS entry was terminated (TerminateExecution).
  bool terminated() const { return terminated_; }
  // Set by the web APIs: called as hook(type, value, promise) for an uncaught exception
  // ("error"), a rejection still unhandled at the end of a turn ("unhandledrejection") and a
  // handler added to one already reported ("rejectionhandled"), to dispatch them on globalThis
  // as Deno does. For the first two it returns true when a listener called preventDefault():
  // then the module goes on instead of ending.
  void set_error_hook(v8::Local<v8::Function> hook) { error_hook_.Reset(isolate_, hook); }
  // Wakes the loop from any thread (e.g. after Module::stop()).
  void wake_from_any_thread();
  // Closes every handle and runs on_close hooks; the destructor does it too.
  void close();

  // Turn bookkeeping, used by call()/run() and by native entry points.
  void turn_begin();
  void turn_end();
  bool in_turn() const { return depth_ > 0; }
  // After a JS entry with `try_catch` (any depth): handles exceptions/termination.
  // Returns false if the module is ending.
  bool check(v8::TryCatch& try_catch);

 private:
  friend class Poster;
  friend class Ref;
  static void on_async(uv_async_t* handle);
  static void on_reject(v8::PromiseRejectMessage message);
  static void on_message(v8::Local<v8::Message> message, v8::Local<v8::Value> error);
  void drain_posts();
  void update_ref();
  void report_rejections();
  // Runs the error hook; true when the event was cancelled (the error is handled).
  bool dispatch_error(const char* type, v8::Local<v8::Value> value, v8::Local<v8::Value> promise);
  void report_errors();

  v8::Isolate* isolate_;
  v8::Global<v8::Context> context_;
  uv_loop_t uv_{};
  uv_async_t async_{};
  bool closed_ = false;
  int refs_ = 0;
  int depth_ = 0;
  bool ending_ = false;
  bool terminated_ = false;
  std::optional<Failure> failure_;
  std::shared_ptr<Poster> poster_;
  std::mutex posts_mu_;
  std::deque<std::function<void()>> posts_;
  std::vector<std::function<void()>> close_hooks_;
  // Rejected promises with no handler yet, reported at the end of the turn (like Deno).
  std::vector<std::pair<v8::Global<v8::Promise>, v8::Global<v8::Value>>> rejections_;
  v8::Global<v8::Function> error_hook_;
  // Exceptions seen by the message listener (thrown where no TryCatch was, e.g. a microtask),
  // dispatched at the end of the turn; and promises reported unhandled that got a handler.
  std::vector<std::pair<v8::Global<v8::Value>, v8::Global<v8::Message>>> errors_;
  std::vector<v8::Global<v8::Promise>> handled_late_;
  std::vector<v8::Global<v8::Promise>> reported_;
};

}  // namespace zinnia::engine
