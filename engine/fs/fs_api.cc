// zinnia:fs natives. Disk work runs on libuv's thread pool (uv_queue_work on the module's
// loop); its result is delivered on the module thread, so the loop never blocks on disk.
// Globals (promise resolvers, watch callbacks) live in per-module state on the module thread
// and are dropped when the loop closes; what crosses threads holds only ids and data.
#include "engine/fs/fs_api.h"

#include <cstring>
#include <deque>
#include <functional>
#include <unordered_map>
#include <variant>

#include "engine/api/host.h"
#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/util.h"

namespace zinnia::engine {

namespace {

struct Outcome {
  GuestFs::Error error = GuestFs::Error::kOk;
  std::variant<std::monostate, GuestFs::Stat, std::string, std::vector<GuestFs::Entry>> value;
};

struct FsState;

// One operation on libuv's pool. The request keeps the loop alive (and Loop::close waits for
// it); `state` is null once the module's state is gone.
struct Work {
  uv_work_t req{};
  std::shared_ptr<GuestFs> fs;
  std::function<Outcome(GuestFs&)> job;
  Outcome outcome;
  FsState* state = nullptr;
  double id = 0;
  bool submitted = false;  // on libuv's pool; before that, waiting in FsState::waiting
  Loop::Ref ref;           // keeps the module alive while waiting
};

struct Pending {
  v8::Global<v8::Promise::Resolver> resolver;
  Work* work = nullptr;  // in flight, owned by libuv until its after-work callback
};

struct Watcher {
  v8::Global<v8::Function> callback;
  std::unique_ptr<GuestFs::Subscription> subscription;
  std::shared_ptr<std::atomic<bool>> queued;  // coalesces a flood of appends into one wake-up
  Loop::Ref ref;                              // an open follow() keeps the module alive
};

// Per-module state of the extension; destroyed when the module's loop closes.
struct FsState {
  explicit FsState(v8::Local<v8::Context> context)
      : loop(&Loop::from(context->GetIsolate())),
        fs(Api::from(context->GetIsolate()).config().fs),
        poster(loop->poster()) {}
  ~FsState() {
    // Subscriptions first (they wait for a running callback), then the Globals and Refs.
    watchers.clear();
    // Work not started yet is cancelled; work running finishes (Loop::close waits for it)
    // and then finds no state.
    // Work still waiting for its turn was never submitted: it is simply dropped.
    for (auto& [id, p] : pending) {
      if (!p.work->submitted) {
        delete p.work;
        continue;
      }
      p.work->state = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&p.work->req));
    }
    pending.clear();
    waiting.clear();
  }
  FsState(const FsState&) = delete;
  FsState& operator=(const FsState&) = delete;

  Loop* loop = nullptr;
  std::shared_ptr<GuestFs> fs;  // null: every path is PermissionDenied
  std::shared_ptr<Poster> poster;
  double next_id = 1;
  std::unordered_map<double, Pending> pending;
  std::unordered_map<double, Watcher> watchers;
  // One operation of a module on the pool at a time; the rest wait here in order. The pool
  // is shared by every module: a module whose disk is slow (or, before regular files were
  // checked, a FIFO that never opens) holds at most one of its threads.
  bool busy = false;
  std::deque<Work*> waiting;
};

v8::Local<v8::Uint8Array> to_bytes(v8::Isolate* isolate, std::string&& data) {
  const std::size_t size = data.size();
  auto* owned = new std::string(std::move(data));
  auto store = v8::ArrayBuffer::NewBackingStore(
      owned->data(), size,
      [](void*, std::size_t, void* holder) { delete static_cast<std::string*>(holder); }, owned);
  auto buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return v8::Uint8Array::New(buffer, 0, size);
}

v8::Local<v8::Value> to_js(v8::Isolate* isolate, v8::Local<v8::Context> context, Outcome& out) {
  if (auto* st = std::get_if<GuestFs::Stat>(&out.value)) {
    auto obj = v8::Object::New(isolate);
    discard(obj->Set(context, to_v8(isolate, "size"),
                     v8::Number::New(isolate, static_cast<double>(st->size))));
    discard(obj->Set(context, to_v8(isolate, "mtime"),
                     v8::Date::New(context, static_cast<double>(st->mtime_ms))
                         .FromMaybe(v8::Local<v8::Value>(v8::Null(isolate)))));
    discard(obj->Set(context, to_v8(isolate, "isFile"), v8::Boolean::New(isolate, st->is_file)));
    discard(obj->Set(context, to_v8(isolate, "isDirectory"),
                     v8::Boolean::New(isolate, st->is_directory)));
    return obj;
  }
  if (auto* bytes = std::get_if<std::string>(&out.value)) {
    return to_bytes(isolate, std::move(*bytes));
  }
  if (auto* entries = std::get_if<std::vector<GuestFs::Entry>>(&out.value)) {
    auto array = v8::Array::New(isolate, static_cast<int>(entries->size()));
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const auto& e = (*entries)[i];
      auto obj = v8::Object::New(isolate);
      discard(obj->Set(context, to_v8(isolate, "name"), to_v8(isolate, e.name)));
      discard(obj->Set(context, to_v8(isolate, "isFile"), v8::Boolean::New(isolate, e.is_file)));
      discard(obj->Set(context, to_v8(isolate, "isDirectory"),
                       v8::Boolean::New(isolate, e.is_directory)));
      discard(array->Set(context, static_cast<uint32_t>(i), obj));
    }
    return array;
  }
  return v8::Undefined(isolate);
}

void submit(Work* work);

// The module thread, after a job ran (or was cancelled): settle its promise, start the next.
void after_work(uv_work_t* req, int) {
  std::unique_ptr<Work> w(static_cast<Work*>(req->data));
  FsState* s = w->state;
  if (!s) return;  // the module has ended (or the work was cancelled with it)
  s->busy = false;
  if (!s->waiting.empty()) {
    Work* next = s->waiting.front();
    s->waiting.pop_front();
    submit(next);
  }
  s->loop->run([&] {
    auto it = s->pending.find(w->id);
    if (it == s->pending.end()) return;
    v8::Isolate* iso = s->loop->isolate();
    auto ctx = s->loop->context();
    auto res = it->second.resolver.Get(iso);
    s->pending.erase(it);
    if (w->outcome.error == GuestFs::Error::kOk) {
      discard(res->Resolve(ctx, to_js(iso, ctx, w->outcome)));
    } else {
      discard(res->Reject(ctx, to_v8(iso, guest_fs_error_name(w->outcome.error))));
    }
  });
}

void run_job(uv_work_t* req) {  // a pool thread
  auto* w = static_cast<Work*>(req->data);
  if (w->fs) {
    w->outcome = w->job(*w->fs);
  } else {
    w->outcome.error = GuestFs::Error::kPermissionDenied;
  }
}

// Puts `work` on the pool; if libuv refuses, the promise is rejected as Io.
void submit(Work* work) {
  FsState* s = work->state;
  work->submitted = true;
  work->ref.reset();
  s->busy = true;
  if (uv_queue_work(s->loop->uv(), &work->req, &run_job, &after_work) != 0) {
    work->outcome.error = GuestFs::Error::kIo;
    after_work(&work->req, 0);
  }
}

// Queues `job` and returns a promise settled on the module thread with its outcome: the
// value, or a rejection with the error's class name (JS adds the guest path).
v8::Local<v8::Promise> start(bind::Call& call, FsState& state,
                             std::function<Outcome(GuestFs&)> job) {
  v8::Isolate* isolate = call.isolate();
  auto resolver = v8::Promise::Resolver::New(call.context()).ToLocalChecked();
  const double id = state.next_id++;
  auto* work = new Work;
  work->fs = state.fs;
  work->job = std::move(job);
  work->state = &state;
  work->id = id;
  work->req.data = work;
  state.pending.emplace(id, Pending{v8::Global<v8::Promise::Resolver>(isolate, resolver), work});
  if (state.busy) {
    work->ref = state.loop->ref();
    state.waiting.push_back(work);
  } else {
    submit(work);
  }
  return resolver->GetPromise();
}

v8::Local<v8::Promise> fs_stat(bind::Call& call, FsState& state, std::string path) {
  return start(call, state, [path = std::move(path)](GuestFs& fs) {
    Outcome out;
    GuestFs::Stat st;
    out.error = fs.stat(path, st);
    out.value = st;
    return out;
  });
}

v8::Local<v8::Promise> fs_read_file(bind::Call& call, FsState& state, std::string path) {
  return start(call, state, [path = std::move(path)](GuestFs& fs) {
    Outcome out;
    std::string data;
    out.error = fs.read_file(path, data);
    out.value = std::move(data);
    return out;
  });
}

// fsRead(path, offset, max): at most `max` bytes (up to 64 MiB) from `offset`.
v8::Local<v8::Promise> fs_read(bind::Call& call, FsState& state, std::string path, double offset,
                               double max) {
  if (!(offset >= 0) || !(max >= 0) || max > double(64 << 20))
    throw bind::RangeError("zinnia:fs: bad offset or length");
  return start(call, state, [path = std::move(path), offset, max](GuestFs& fs) {
    Outcome out;
    std::string data;
    out.error =
        fs.read(path, static_cast<std::uint64_t>(offset), static_cast<std::size_t>(max), data);
    out.value = std::move(data);
    return out;
  });
}

v8::Local<v8::Promise> fs_read_dir(bind::Call& call, FsState& state, std::string path) {
  return start(call, state, [path = std::move(path)](GuestFs& fs) {
    Outcome out;
    std::vector<GuestFs::Entry> entries;
    out.error = fs.list(path, entries);
    out.value = std::move(entries);
    return out;
  });
}

// fsWatch(path, callback) -> id, or the error's class name (a string).
v8::Local<v8::Value> fs_watch(bind::Call& call, FsState& fs_state, const std::string& path,
                              v8::Local<v8::Function> callback) {
  v8::Isolate* isolate = call.isolate();
  FsState* state = &fs_state;
  if (!state->fs) return to_v8(isolate, "PermissionDenied");
  const double id = state->next_id++;
  auto queued = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<GuestFs::Subscription> sub;
  // Watching registers a callback only; it does not touch the disk.
  const auto error = state->fs->watch(
      path,
      [poster = state->poster, queued, state, id] {
        if (queued->exchange(true)) return;
        poster->post([state, id] {
          auto it = state->watchers.find(id);
          if (it == state->watchers.end()) return;
          it->second.queued->store(false);
          v8::Isolate* iso = state->loop->isolate();
          auto cb = it->second.callback.Get(iso);
          discard(cb->Call(state->loop->context(), v8::Undefined(iso), 0, nullptr));
        });
      },
      sub);
  if (error != GuestFs::Error::kOk) return to_v8(isolate, guest_fs_error_name(error));
  state->watchers.emplace(id, Watcher{v8::Global<v8::Function>(isolate, callback), std::move(sub),
                                      queued, state->loop->ref()});
  return v8::Number::New(isolate, id);
}

void fs_unwatch(FsState& state, double id) { state.watchers.erase(id); }

}  // namespace

const bind::Extension& fs_extension() {
  static const bind::Extension ext = bind::with_state<FsState>({
      .name = "fs",
      .modules = {"zinnia:fs"},
      .natives = {bind::native<"fsStat", &fs_stat>(), bind::native<"fsReadFile", &fs_read_file>(),
                  bind::native<"fsRead", &fs_read>(), bind::native<"fsReadDir", &fs_read_dir>(),
                  bind::native<"fsWatch", &fs_watch>(), bind::native<"fsUnwatch", &fs_unwatch>()},
  });
  return ext;
}

}  // namespace zinnia::engine
