#include "engine/loop/loop.h"

#include <libplatform/libplatform.h>

#include <utility>

#include "engine/v8/platform.h"

namespace zinnia::engine {

namespace {
constexpr int kLoopSlot = 0;  // isolate data slot holding the Loop*
}

bool Poster::post(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  if (!loop_) {
    lock.unlock();
    fn = nullptr;  // destroyed here, on the calling thread
    return false;
  }
  {
    std::lock_guard q(loop_->posts_mu_);
    loop_->posts_.push_back(std::move(fn));
  }
  uv_async_send(&loop_->async_);
  return true;
}

Loop::Ref::Ref(Loop* loop) : loop_(loop) {
  if (loop_ && loop_->refs_++ == 0) loop_->update_ref();
}

Loop::Ref& Loop::Ref::operator=(Ref&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = other.loop_;
    other.loop_ = nullptr;
  }
  return *this;
}

void Loop::Ref::reset() {
  if (loop_ && --loop_->refs_ == 0) loop_->update_ref();
  loop_ = nullptr;
}

Loop::Loop(v8::Isolate* isolate, v8::Local<v8::Context> context)
    : isolate_(isolate), context_(isolate, context), poster_(std::make_shared<Poster>()) {
  if (int rc = uv_loop_init(&uv_); rc != 0) throw std::runtime_error(uv_strerror(rc));
  uv_async_init(&uv_, &async_, &Loop::on_async);
  async_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  poster_->loop_ = this;
  isolate_->SetData(kLoopSlot, this);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetPromiseRejectCallback(&Loop::on_reject);
  // Exceptions no TryCatch saw (thrown by a queueMicrotask callback) end the module.
  isolate_->AddMessageListener(&Loop::on_message);
}

void Loop::on_message(v8::Local<v8::Message> message, v8::Local<v8::Value> error) {
  auto* isolate = message->GetIsolate();
  auto* self = static_cast<Loop*>(isolate->GetData(kLoopSlot));
  if (!self || self->ending_) return;
  v8::HandleScope scope(isolate);
  if (!self->error_hook_.IsEmpty()) {
    // No JS may run from here; the hook sees it at the end of the turn.
    self->errors_.emplace_back(v8::Global<v8::Value>(isolate, error),
                               v8::Global<v8::Message>(isolate, message));
    return;
  }
  self->end(Failure{describe_exception(isolate, self->context(), error, message, "Uncaught ")});
}

Loop::~Loop() { close(); }

Loop& Loop::from(v8::Isolate* isolate) { return *static_cast<Loop*>(isolate->GetData(kLoopSlot)); }

void Loop::update_ref() {
  auto* h = reinterpret_cast<uv_handle_t*>(&async_);
  if (refs_ > 0)
    uv_ref(h);
  else
    uv_unref(h);
}

void Loop::on_async(uv_async_t* handle) {
  auto* self = static_cast<Loop*>(handle->data);
  self->drain_posts();
}

void Loop::drain_posts() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard q(posts_mu_);
    batch.swap(posts_);
  }
  while (!batch.empty()) {
    auto fn = std::move(batch.front());
    batch.pop_front();
    if (!ending_) run(fn);
  }
}

void Loop::wake_from_any_thread() {
  std::lock_guard lock(poster_->mu_);
  if (poster_->loop_) uv_async_send(&async_);
}

void Loop::turn_begin() {
  if (depth_++ == 0) {
    // Timers measure from the loop's clock; refresh it so a slow start doesn't fire them early.
    uv_update_time(&uv_);
    if (on_turn_begin) on_turn_begin();
  }
}

void Loop::turn_end() {
  if (depth_ == 1 && !ending_) {
    // Microtasks run after every callback, then the rejections still unhandled are fatal.
    v8::TryCatch try_catch(isolate_);
    isolate_->PerformMicrotaskCheckpoint();
    if (isolate_->IsExecutionTerminating()) {
      terminated_ = true;
      end();
    }
    if (check(try_catch)) report_errors();
    if (!ending_) report_rejections();
    v8::platform::PumpMessageLoop(v8_platform(), isolate_,
                                  v8::platform::MessageLoopBehavior::kDoNotWait);
  }
  if (--depth_ == 0) {
    if (on_turn_end) on_turn_end();
    if (ending_) uv_stop(&uv_);
  }
}

bool Loop::check(v8::TryCatch& try_catch) {
  if (!try_catch.HasCaught() && !try_catch.HasTerminated()) return !ending_;
  if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    terminated_ = true;
    end();
    return false;
  }
  v8::HandleScope scope(isolate_);
  auto context = this->context();
  auto exception = try_catch.Exception();
  auto message = try_catch.Message();
  try_catch.Reset();
  // Described before the error event: a listener reading error.stack turns its captured
  // frames into text, and the report's source line would then point at the throw.
  auto report = describe_exception(isolate_, context, exception, message, "Uncaught ");
  if (dispatch_error("error", exception, v8::Undefined(isolate_))) return !ending_;
  if (ending_) return false;
  end(Failure{std::move(report)});
  return false;
}

bool Loop::dispatch_error(const char* type, v8::Local<v8::Value> value,
                          v8::Local<v8::Value> promise) {
  if (error_hook_.IsEmpty() || ending_) return false;
  auto context = this->context();
  auto hook = error_hook_.Get(isolate_);
  v8::Local<v8::Value> argv[] = {v8::String::NewFromUtf8(isolate_, type).ToLocalChecked(), value,
                                 promise};
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> result;
  if (!hook->Call(context, v8::Undefined(isolate_), 3, argv).ToLocal(&result)) {
    if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
      terminated_ = true;
      end();
    }
    // A hook that throws handles nothing: the original error ends the module.
    return false;
  }
  return result->IsTrue();
}

void Loop::report_errors() {
  while (!errors_.empty() && !ending_) {
    v8::HandleScope scope(isolate_);
    auto exception = errors_.front().first.Get(isolate_);
    auto message = errors_.front().second.Get(isolate_);
    errors_.erase(errors_.begin());
    auto report = describe_exception(isolate_, context(), exception, message, "Uncaught ");
    if (dispatch_error("error", exception, v8::Undefined(isolate_))) {
      isolate_->PerformMicrotaskCheckpoint();
      continue;
    }
    if (ending_) break;
    errors_.clear();
    end(Failure{std::move(report)});
  }
}

bool Loop::call(v8::Local<v8::Function> fn, v8::Local<v8::Value> recv, int argc,
                v8::Local<v8::Value> argv[]) {
  if (ending_) return false;
  auto context = this->context();
  v8::Context::Scope context_scope(context);
  turn_begin();
  bool ok;
  {
    v8::TryCatch try_catch(isolate_);
    discard(fn->Call(context, recv, argc, argv));
    ok = check(try_catch);
  }
  turn_end();
  return ok && !ending_;
}

bool Loop::run(const std::function<void()>& fn) {
  if (ending_) return false;
  v8::HandleScope scope(isolate_);
  auto context = this->context();
  v8::Context::Scope context_scope(context);
  turn_begin();
  bool ok;
  {
    v8::TryCatch try_catch(isolate_);
    fn();
    ok = check(try_catch);
  }
  turn_end();
  return ok && !ending_;
}

bool Loop::resolve(v8::Local<v8::Promise::Resolver> resolver, v8::Local<v8::Value> value) {
  return run([&] { discard(resolver->Resolve(context(), value)); });
}

bool Loop::reject(v8::Local<v8::Promise::Resolver> resolver, v8::Local<v8::Value> reason) {
  return run([&] { discard(resolver->Reject(context(), reason)); });
}

void Loop::on_reject(v8::PromiseRejectMessage message) {
  auto promise = message.GetPromise();
  auto* isolate = promise->GetIsolate();
  auto& self = from(isolate);
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      self.rejections_.emplace_back(v8::Global<v8::Promise>(isolate, promise),
                                    v8::Global<v8::Value>(isolate, message.GetValue()));
      break;
    case v8::kPromiseHandlerAddedAfterReject: {
      bool pending = false;
      for (auto it = self.rejections_.begin(); it != self.rejections_.end(); ++it) {
        if (it->first == promise) {
          self.rejections_.erase(it);
          pending = true;
          break;
        }
      }
      if (pending) break;
      for (auto it = self.reported_.begin(); it != self.reported_.end(); ++it) {
        if (*it == promise) {
          self.reported_.erase(it);
          self.handled_late_.emplace_back(isolate, promise);
          break;
        }
      }
      break;
    }
    default:
      break;
  }
}

void Loop::report_rejections() {
  if (!error_hook_.IsEmpty()) {
    // Dispatch each as an event; a listener may add handlers or reject more, so loop.
    while ((!rejections_.empty() || !handled_late_.empty()) && !ending_) {
      v8::HandleScope scope(isolate_);
      if (!handled_late_.empty()) {
        auto promise = handled_late_.front().Get(isolate_);
        handled_late_.erase(handled_late_.begin());
        dispatch_error("rejectionhandled", v8::Undefined(isolate_), promise);
      } else {
        auto promise = rejections_.front().first.Get(isolate_);
        auto reason = rejections_.front().second.Get(isolate_);
        rejections_.erase(rejections_.begin());
        auto report = describe_exception(isolate_, context(), reason,
                                         v8::Exception::CreateMessage(isolate_, reason),
                                         "Uncaught (in promise) ");
        if (dispatch_error("unhandledrejection", reason, promise)) {
          // Bounded: a handled rejection is remembered until it gets a handler.
          if (reported_.size() >= 4096) reported_.erase(reported_.begin());
          reported_.emplace_back(isolate_, promise);
        } else if (!ending_) {
          rejections_.clear();
          end(Failure{std::move(report)});
          return;
        }
      }
      isolate_->PerformMicrotaskCheckpoint();
      report_errors();
    }
    return;
  }
  if (rejections_.empty()) return;
  v8::HandleScope scope(isolate_);
  auto reason = rejections_.front().second.Get(isolate_);
  auto context = this->context();
  auto message = v8::Exception::CreateMessage(isolate_, reason);
  rejections_.clear();
  end(Failure{describe_exception(isolate_, context, reason, message, "Uncaught (in promise) ")});
}

void Loop::end(std::optional<Failure> failure) {
  if (failure && !failure_ && !terminated_) failure_ = std::move(failure);
  ending_ = true;
  uv_stop(&uv_);
}

void Loop::run_until_done() {
  while (!ending_) {
    // uv_run returns 0 when nothing is alive any more; non-zero after uv_stop.
    if (uv_run(&uv_, UV_RUN_DEFAULT) == 0) break;
  }
}

void Loop::close() {
  if (closed_) return;
  closed_ = true;
  ending_ = true;
  {
    std::lock_guard lock(poster_->mu_);
    poster_->loop_ = nullptr;
  }
  {
    std::deque<std::function<void()>> dropped;
    std::lock_guard q(posts_mu_);
    dropped.swap(posts_);
  }
  for (auto it = close_hooks_.rbegin(); it != close_hooks_.rend(); ++it) (*it)();
  close_hooks_.clear();
  rejections_.clear();
  errors_.clear();
  handled_late_.clear();
  reported_.clear();
  error_hook_.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  // Handles closed by hooks need one more run to finish their close callbacks.
  uv_run(&uv_, UV_RUN_NOWAIT);
  uv_walk(
      &uv_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&uv_, UV_RUN_NOWAIT);
  // Work queued on libuv's pool (zinnia:fs) that already started cannot be cancelled: wait
  // for its after-work callback, which must not touch module state any more.
  while (uv_loop_close(&uv_) == UV_EBUSY) uv_run(&uv_, UV_RUN_ONCE);
  isolate_->RemoveMessageListeners(&Loop::on_message);
  context_.Reset();
  if (isolate_->GetData(kLoopSlot) == this) isolate_->SetData(kLoopSlot, nullptr);
}

}  // namespace zinnia::engine
