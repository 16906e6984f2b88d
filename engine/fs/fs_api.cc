// zinnia:fs natives. Disk work runs on a small process-wide pool of threads; results come
// back to the module thread through its Poster, so the module's loop never blocks on disk.
// Globals (promise resolvers, watch callbacks) live in per-module state on the module thread
// and are dropped in the loop's close hook; what crosses threads holds only ids and data.
#include "engine/fs/fs_api.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

#include "engine/loop/loop.h"
#include "engine/v8/util.h"

namespace zinnia::engine {

namespace {

// A few threads shared by every module for blocking file work. Never destroyed: modules may
// still be ending while the process exits.
class BlockingPool {
 public:
  static BlockingPool& get() {
    static auto* pool = new BlockingPool(2);
    return *pool;
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  explicit BlockingPool(int threads) {
    for (int i = 0; i < threads; ++i) {
      std::thread([this] { work(); }).detach();
    }
  }
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !jobs_.empty(); });
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
};

struct Outcome {
  GuestFs::Error error = GuestFs::Error::kOk;
  std::variant<std::monostate, GuestFs::Stat, std::string, std::vector<GuestFs::Entry>> value;
};

struct Pending {
  v8::Global<v8::Promise::Resolver> resolver;
  Loop::Ref ref;  // the module does not finish while an operation is in flight
};

struct Watcher {
  v8::Global<v8::Function> callback;
  std::unique_ptr<GuestFs::Subscription> subscription;
  std::shared_ptr<std::atomic<bool>> queued;  // coalesces a flood of appends into one wake-up
  Loop::Ref ref;                              // an open follow() keeps the module alive
};

struct FsState {
  Loop* loop = nullptr;
  std::shared_ptr<GuestFs> fs;
  std::shared_ptr<Poster> poster;
  double next_id = 1;
  std::unordered_map<double, Pending> pending;
  std::unordered_map<double, Watcher> watchers;
};

FsState* state_of(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<FsState*>(info.Data().As<v8::External>()->Value());
}

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

// Starts `job` on the pool and returns a promise settled on the module thread with its
// outcome: the value, or a rejection with the error's class name (JS adds the guest path).
void start(const v8::FunctionCallbackInfo<v8::Value>& info, std::function<Outcome(GuestFs&)> job) {
  v8::Isolate* isolate = info.GetIsolate();
  auto context = isolate->GetCurrentContext();
  FsState* state = state_of(info);
  auto resolver = v8::Promise::Resolver::New(context).ToLocalChecked();
  info.GetReturnValue().Set(resolver->GetPromise());
  const double id = state->next_id++;
  state->pending.emplace(
      id, Pending{v8::Global<v8::Promise::Resolver>(isolate, resolver), state->loop->ref()});
  BlockingPool::get().submit(
      [fs = state->fs, poster = state->poster, job = std::move(job), state, id]() mutable {
        auto outcome = std::make_shared<Outcome>();
        if (fs) {
          *outcome = job(*fs);
        } else {
          outcome->error = GuestFs::Error::kPermissionDenied;
        }
        // post() runs only while the module lives, so `state` is still there when it does.
        poster->post([state, id, outcome] {
          auto it = state->pending.find(id);
          if (it == state->pending.end()) return;
          v8::Isolate* iso = state->loop->isolate();
          auto ctx = state->loop->context();
          auto res = it->second.resolver.Get(iso);
          if (outcome->error == GuestFs::Error::kOk) {
            discard(res->Resolve(ctx, to_js(iso, ctx, *outcome)));
          } else {
            discard(res->Reject(ctx, to_v8(iso, guest_fs_error_name(outcome->error))));
          }
          state->pending.erase(it);
        });
      });
}

bool path_arg(const v8::FunctionCallbackInfo<v8::Value>& info, std::string& out) {
  if (info.Length() < 1 || !info[0]->IsString()) {
    throw_type_error(info.GetIsolate(), "zinnia:fs: the path must be a string");
    return false;
  }
  v8::String::Utf8Value text(info.GetIsolate(), info[0]);
  out.assign(*text, static_cast<std::size_t>(text.length()));
  return true;
}

void FsStat(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::string path;
  if (!path_arg(info, path)) return;
  start(info, [path](GuestFs& fs) {
    Outcome out;
    GuestFs::Stat st;
    out.error = fs.stat(path, st);
    out.value = st;
    return out;
  });
}

void FsReadFile(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::string path;
  if (!path_arg(info, path)) return;
  start(info, [path](GuestFs& fs) {
    Outcome out;
    std::string data;
    out.error = fs.read_file(path, data);
    out.value = std::move(data);
    return out;
  });
}

void FsRead(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::string path;
  if (!path_arg(info, path)) return;
  auto context = info.GetIsolate()->GetCurrentContext();
  const double offset = info[1]->NumberValue(context).FromMaybe(0);
  const double max = info[2]->NumberValue(context).FromMaybe(0);
  if (!(offset >= 0) || !(max >= 0) || max > double(64 << 20)) {
    throw_range_error(info.GetIsolate(), "zinnia:fs: bad offset or length");
    return;
  }
  start(info, [path, offset, max](GuestFs& fs) {
    Outcome out;
    std::string data;
    out.error =
        fs.read(path, static_cast<std::uint64_t>(offset), static_cast<std::size_t>(max), data);
    out.value = std::move(data);
    return out;
  });
}

void FsReadDir(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::string path;
  if (!path_arg(info, path)) return;
  start(info, [path](GuestFs& fs) {
    Outcome out;
    std::vector<GuestFs::Entry> entries;
    out.error = fs.list(path, entries);
    out.value = std::move(entries);
    return out;
  });
}

// fsWatch(path, callback) -> id, or the error's class name (a string).
void FsWatch(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string path;
  if (!path_arg(info, path)) return;
  if (info.Length() < 2 || !info[1]->IsFunction()) {
    throw_type_error(isolate, "zinnia:fs: watch needs a callback");
    return;
  }
  FsState* state = state_of(info);
  if (!state->fs) {
    info.GetReturnValue().Set(to_v8(isolate, "PermissionDenied"));
    return;
  }
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
  if (error != GuestFs::Error::kOk) {
    info.GetReturnValue().Set(to_v8(isolate, guest_fs_error_name(error)));
    return;
  }
  state->watchers.emplace(id, Watcher{v8::Global<v8::Function>(isolate, info[1].As<v8::Function>()),
                                      std::move(sub), queued, state->loop->ref()});
  info.GetReturnValue().Set(v8::Number::New(isolate, id));
}

void FsUnwatch(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto context = info.GetIsolate()->GetCurrentContext();
  state_of(info)->watchers.erase(info[0]->NumberValue(context).FromMaybe(0));
}

}  // namespace

void install_fs(v8::Local<v8::Context> context, v8::Local<v8::Object> host,
                std::shared_ptr<GuestFs> fs) {
  v8::Isolate* isolate = context->GetIsolate();
  Loop& loop = Loop::from(isolate);
  auto* state = new FsState;
  state->loop = &loop;
  state->fs = std::move(fs);
  state->poster = loop.poster();
  // Subscriptions first (they wait for a running callback), then the Globals and Refs.
  loop.on_close([state] {
    state->watchers.clear();
    state->pending.clear();
    delete state;
  });
  auto data = v8::External::New(isolate, state);
  set_method(context, host, "fsStat", FsStat, data);
  set_method(context, host, "fsReadFile", FsReadFile, data);
  set_method(context, host, "fsRead", FsRead, data);
  set_method(context, host, "fsReadDir", FsReadDir, data);
  set_method(context, host, "fsWatch", FsWatch, data);
  set_method(context, host, "fsUnwatch", FsUnwatch, data);
}

}  // namespace zinnia::engine
