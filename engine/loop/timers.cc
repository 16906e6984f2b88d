#include "engine/loop/timers.h"

#include <algorithm>
#include <cmath>

#include "engine/loop/loop.h"

namespace zinnia::engine {

Timers::Timers(Loop& loop) : loop_(loop) {
  uv_timer_init(loop_.uv(), &handle_);
  handle_.data = this;
  loop_.on_close([this] { reset(); });
}

Timers::~Timers() { reset(); }

void Timers::reset() {
  timers_.clear();
  queue_.clear();
  if (handle_.data) {
    handle_.data = nullptr;
    uv_timer_stop(&handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  }
}

std::uint32_t Timers::start(v8::Local<v8::Function> fn, std::vector<v8::Local<v8::Value>> args,
                            double delay_ms, bool repeat) {
  auto* isolate = loop_.isolate();
  if (!std::isfinite(delay_ms) || delay_ms < 0) delay_ms = 0;
  // Browsers treat delays past 2^31-1 ms as 0 ... but a huge delay is more useful as "huge".
  delay_ms = std::min(delay_ms, 2147483647.0);
  auto delay = static_cast<std::uint64_t>(delay_ms);
  if (repeat && delay == 0) delay = 1;
  std::uint32_t id = next_id_++;
  // From now, not from the turn's start: a long turn must not make its timers fire early.
  uv_update_time(loop_.uv());
  // uv_now() is whole milliseconds, rounded down: one more keeps a timer from firing early.
  Timer t{uv_now(loop_.uv()) + delay + (delay > 0 ? 1 : 0), next_seq_++, delay, repeat, {}, {}};
  t.fn.Reset(isolate, fn);
  t.args.reserve(args.size());
  for (auto a : args) t.args.emplace_back(isolate, a);
  queue_.insert({{t.deadline, t.seq}, id});
  timers_.emplace(id, std::move(t));
  arm();
  return id;
}

void Timers::clear(std::uint32_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  queue_.erase({{it->second.deadline, it->second.seq}, id});
  timers_.erase(it);
  arm();
}

void Timers::arm() {
  if (!handle_.data) return;
  if (queue_.empty()) {
    uv_timer_stop(&handle_);
    return;
  }
  std::uint64_t now = uv_now(loop_.uv());
  std::uint64_t deadline = queue_.begin()->first.first;
  uv_timer_start(&handle_, &Timers::on_timer, deadline > now ? deadline - now : 0, 0);
}

void Timers::on_timer(uv_timer_t* handle) {
  if (auto* self = static_cast<Timers*>(handle->data)) self->fire();
}

void Timers::fire() {
  std::uint64_t now = uv_now(loop_.uv());
  // Only the timers due now; those created by these callbacks wait for the next round.
  std::vector<std::uint32_t> due;
  for (auto& [key, id] : queue_) {
    if (key.first > now) break;
    due.push_back(id);
  }
  auto* isolate = loop_.isolate();
  for (auto id : due) {
    if (loop_.ending()) return;
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cleared by an earlier callback
    v8::HandleScope scope(isolate);
    Timer& t = it->second;
    auto fn = t.fn.Get(isolate);
    std::vector<v8::Local<v8::Value>> args;
    args.reserve(t.args.size());
    for (auto& a : t.args) args.push_back(a.Get(isolate));
    queue_.erase({{t.deadline, t.seq}, id});
    if (t.repeat) {
      t.deadline = now + t.interval + 1;
      t.seq = next_seq_++;
      queue_.insert({{t.deadline, t.seq}, id});
    } else {
      timers_.erase(it);
    }
    loop_.call(fn, v8::Undefined(isolate), static_cast<int>(args.size()), args.data());
  }
  arm();
}

}  // namespace zinnia::engine
