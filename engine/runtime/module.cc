#include "engine/runtime/module.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "engine/api/host.h"
#include "engine/loop/loop.h"
#include "engine/modules/loader.h"
#include "engine/runtime/extensions.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/watchdog.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"
#include "engine/v8/util.h"

namespace zinnia::engine {

struct Module::Impl {
  ModuleOptions options;
  Sink& sink;
  std::shared_ptr<Runtime> runtime = Runtime::acquire();
  std::thread thread;

  std::mutex mu;  // guards isolate/poster/stop_requested against stop() from other threads
  v8::Isolate* isolate = nullptr;
  std::shared_ptr<Poster> poster;
  bool stop_requested = false;

  std::atomic<bool> done{false};
  std::atomic<bool> oom{false};
  std::atomic<bool> external_oom{false};
  std::atomic<bool> external_check_requested{false};
  ExternalAllocator* allocator = nullptr;
  std::atomic<std::size_t> heap_used{0}, heap_limit{0};
  WatchedModule watched;
  std::int64_t last_sample = 0;
  bool background_reported = false;

  Impl(ModuleOptions o, Sink& s) : options(std::move(o)), sink(s) {}
  void main();
  Exit run(v8::Isolate* isolate, bool from_snapshot);
  void sample_heap(v8::Isolate* isolate);
  void report_background() {
    if (background_reported) return;
    if (int percent = watched.background_percent.load(std::memory_order_acquire)) {
      background_reported = true;
      sink.background(percent);
    }
  }
  bool stopped() {
    std::lock_guard lock(mu);
    return stop_requested;
  }

  static std::size_t near_heap_limit(void* data, std::size_t current, std::size_t) {
    auto* self = static_cast<Impl*>(data);
    // Give V8 room to unwind while the termination takes effect; the module ends as kOutOfMemory.
    self->oom.store(true);
    terminate_execution(self->watched.isolate);
    return current + std::max<std::size_t>(current / 2, std::size_t{16} << 20);
  }

  // Any thread. Like stop(): terminates running JS and ends the loop, so a module that caught
  // the RangeError and went idle ends too.
  void external_over() {
    if (external_oom.exchange(true)) return;
    std::lock_guard lock(mu);
    if (!isolate) return;
    terminate_execution(isolate);
    if (poster) {
      auto* iso = isolate;
      poster->post([iso] { Loop::from(iso).end(); });
    }
  }
  // WebAssembly memory and resizable ArrayBuffers are reserved by V8's page allocator, not
  // the ArrayBuffer allocator; V8 counts their length in the isolate's external memory. Past
  // the limit a full GC tells the dead from the live before the module is stopped.
  void check_external(v8::Isolate* iso) {
    const std::size_t limit = options.external_limit_bytes;
    if (limit == 0 || external_oom.load()) return;
    if (allocator && allocator->refused()) {
      external_over();
      return;
    }
    if (allocator) allocator->settle_owed(iso);
    if (static_cast<std::size_t>(iso->AdjustAmountOfExternalAllocatedMemory(0)) <= limit) return;
    iso->LowMemoryNotification();
    if (allocator) allocator->settle_owed(iso);
    if (static_cast<std::size_t>(iso->AdjustAmountOfExternalAllocatedMemory(0)) > limit)
      external_over();
  }
  // After a GC (V8 collects when external memory grows): ask for a check on the module's
  // thread, where a GC may run.
  static void after_gc(v8::Isolate* iso, v8::GCType, v8::GCCallbackFlags, void* data) {
    auto* self = static_cast<Impl*>(data);
    const std::size_t limit = self->options.external_limit_bytes;
    const std::int64_t external = self->allocator ? self->allocator->external_memory(iso)
                                                  : iso->AdjustAmountOfExternalAllocatedMemory(0);
    if (limit == 0 || external <= 0 || static_cast<std::size_t>(external) <= limit) return;
    if (self->external_check_requested.exchange(true)) return;
    iso->RequestInterrupt(
        [](v8::Isolate* i, void* d) {
          auto* s = static_cast<Impl*>(d);
          s->external_check_requested.store(false);
          s->check_external(i);
        },
        self);
  }
};

void Module::Impl::sample_heap(v8::Isolate* iso) {
  v8::HeapStatistics stats;
  iso->GetHeapStatistics(&stats);
  heap_used.store(stats.used_heap_size());
  heap_limit.store(stats.heap_size_limit());
}

namespace {
void on_entry_rejected(bind::Call& call, v8::Local<v8::Value> reason) {
  auto* isolate = call.isolate();
  auto& loop = Loop::from(isolate);
  loop.end(Loop::Failure{describe_exception(isolate, loop.context(), reason,
                                            v8::Exception::CreateMessage(isolate, reason),
                                            "Uncaught ")});
}
}  // namespace

Exit Module::Impl::run(v8::Isolate* iso, bool from_snapshot) {
  v8::Locker locker(iso);
  v8::Isolate::Scope isolate_scope(iso);
  v8::HandleScope handle_scope(iso);
  // From the startup snapshot, the context comes bootstrapped (context 0 of the blob).
  v8::Local<v8::Context> context;
  if (!from_snapshot || !v8::Context::FromSnapshot(iso, 0).ToLocal(&context)) {
    from_snapshot = false;
    context = v8::Context::New(iso);
  } else {
    runtime->context_made();
  }
  v8::Context::Scope context_scope(context);

  std::error_code ec;
  auto entry = std::filesystem::absolute(options.entry, ec);
  auto root = std::filesystem::weakly_canonical(entry, ec).parent_path();
  Loop loop(iso, context);
  Loader loader(iso, ResolveOptions{root, options.sandboxed});
  Api api(loop, sink,
          ApiConfig{options.name, options.wallet_address, options.station_id, options.fs,
                    options.user_agent, &runtime->code_cache(), options.colors});
  // On every way out (exceptions too): unwatch, unpublish the isolate, and close the loop
  // (running on_close hooks) while Api and Loader still exist.
  struct Teardown {
    Impl& self;
    Loop& loop;
    ~Teardown() {
      self.runtime->watchdog().remove(&self.watched);
      {
        std::lock_guard lock(self.mu);
        self.isolate = nullptr;
        self.poster.reset();
      }
      loop.close();
    }
  } teardown{*this, loop};
  {
    std::lock_guard lock(mu);
    isolate = iso;
    poster = loop.poster();
    if (stop_requested) loop.end();
  }
  watched.isolate = iso;
  watched.limit = options.hang_timeout;
  watched.share_cpu = options.share_cpu;
  runtime->watchdog().add(&watched);
  loop.on_turn_begin = [this] {
    watched.turn_cpu_start.store(thread_cpu_now(), std::memory_order_release);
    watched.turn_start.store(watchdog_now(), std::memory_order_release);
  };
  loop.on_turn_end = [this, iso] {
    std::int64_t now = watchdog_now();
    watched.turn_start.store(0);
    check_external(iso);
    if (now - last_sample > 50'000'000) {
      last_sample = now;
      sample_heap(iso);
    }
    report_background();
    sink.turn_end();
  };

  v8::Global<v8::Promise> entry_promise;
  loop.run([&] {
    if (!api.bootstrap(context, extensions(),
                       from_snapshot ? Api::Boot::kFromSnapshot : Api::Boot::kFresh))
      return;
    loader.set_host(api.host());
    v8::Local<v8::Promise> promise;
    if (!loader.run_entry(context, options.entry).ToLocal(&promise)) return;
    entry_promise.Reset(iso, promise);
    auto on_rejected = bind::function<"onEntryRejected", &on_entry_rejected>(context);
    if (promise->State() == v8::Promise::kRejected) {
      auto reason = promise->Result();
      loop.end(Loop::Failure{describe_exception(
          iso, context, reason, v8::Exception::CreateMessage(iso, reason), "Uncaught ")});
      promise->MarkAsHandled();
    } else if (promise->State() == v8::Promise::kPending) {
      discard(promise->Catch(context, on_rejected));
    }
  });
  loop.run_until_done();

  runtime->watchdog().remove(&watched);
  {
    std::lock_guard lock(mu);
    isolate = nullptr;
    poster.reset();
  }
  sample_heap(iso);
  report_background();

  Exit exit;
  exit.code = 1;
  if (oom.load()) {
    exit.reason = ExitReason::kOutOfMemory;
    exit.message =
        "out of memory (heap limit " + std::to_string(options.heap_limit_bytes >> 20) + " MiB)";
  } else if (external_oom.load()) {
    exit.reason = ExitReason::kOutOfMemory;
    exit.message = "out of memory (external memory limit " +
                   std::to_string(options.external_limit_bytes >> 20) +
                   " MiB: ArrayBuffers, typed arrays and WebAssembly memory)";
  } else if (watched.hung.load()) {
    exit.reason = ExitReason::kHung;
    // The reason says "hung" already ("crashed (hung): ..."); the message says how.
    exit.message = "one turn of JavaScript used more than " +
                   std::to_string(options.hang_timeout.count()) + " ms of CPU time";
  } else if (loop.failure() && !loop.terminated()) {
    exit.reason = ExitReason::kUncaught;
    exit.message = loop.failure()->report.message;
    exit.stack = loop.failure()->report.stack;
    exit.source = loop.failure()->report.source;
  } else if (stopped()) {
    exit.reason = ExitReason::kStopped;
    exit.code = 0;
    exit.message = "stopped";
  } else if (loop.terminated()) {
    exit.reason = ExitReason::kUncaught;
    exit.message = "terminated";
  } else if (!entry_promise.IsEmpty() && entry_promise.Get(iso)->State() == v8::Promise::kPending) {
    exit.reason = ExitReason::kUncaught;
    exit.message = "Top-level await promise never resolved";
  } else {
    exit.reason = ExitReason::kFinished;
    exit.code = api.exit_code();
  }

  entry_promise.Reset();
  loop.close();
  api.reset();
  loader.reset();
  return exit;
}

void Module::Impl::main() {
  Exit exit;
  try {
    auto holder = runtime->isolates().take(options.heap_limit_bytes);
    watched.isolate = holder->get();
    holder->get()->AddNearHeapLimitCallback(&Impl::near_heap_limit, this);
    allocator = &holder->allocator();
    allocator->set_limit(options.external_limit_bytes, [this] { external_over(); });
    holder->get()->AddGCEpilogueCallback(&Impl::after_gc, this);
    exit = run(holder->get(), holder->from_snapshot());
    holder->get()->RemoveGCEpilogueCallback(&Impl::after_gc, this);
    allocator = nullptr;
    holder->get()->RemoveNearHeapLimitCallback(&Impl::near_heap_limit, 0);
  } catch (const std::exception& e) {
    exit.reason = ExitReason::kUncaught;
    exit.code = 1;
    exit.message = std::string("module runtime failure: ") + e.what();
  }
  sink.exited(exit);
  done.store(true);
}

Module::Module(ModuleOptions options, Sink& sink)
    : impl_(std::make_unique<Impl>(std::move(options), sink)) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->main(); });
}

Module::~Module() {
  stop();
  join();
}

void Module::stop() {
  std::lock_guard lock(impl_->mu);
  impl_->stop_requested = true;
  if (!impl_->isolate) return;  // not started yet (it checks the flag) or already ending
  terminate_execution(impl_->isolate);
  if (impl_->poster) {
    auto* isolate = impl_->isolate;
    impl_->poster->post([isolate] { Loop::from(isolate).end(); });
  }
}

void Module::join() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Module::done() const { return impl_->done.load(); }

HeapUsage Module::heap_usage() const {
  return HeapUsage{impl_->heap_used.load(), impl_->heap_limit.load()};
}

const ModuleOptions& Module::options() const { return impl_->options; }

}  // namespace zinnia::engine
