#pragma once
#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>

namespace zinnia::engine {

// The ArrayBuffer allocator of one isolate: it counts the bytes of every ArrayBuffer and
// typed array backing store and refuses past a limit (issue 19 #1: external memory does not
// count toward the heap limit, so one module could take all of the machine's memory).
//
// A refused allocation is a RangeError in JavaScript. V8 10.2 retries a refused allocation
// three times around garbage collections (Heap::AllocateExternalBackingStore), so a module
// that merely churns through buffers gets its memory once the dead ones are freed; only when
// all four attempts fail in a row is the limit really reached, and `on_over` is called.
// Host code that makes backing stores through the V8 API must use host_backing_store(): the
// API treats a refusal as a fatal process OOM. There the allocation always succeeds (it is
// bounded by what the native asked for) and `on_over` is called if it went past the limit.
class ExternalAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  ExternalAllocator();
  void* Allocate(std::size_t length) override;
  void* AllocateUninitialized(std::size_t length) override;
  void Free(void* data, std::size_t length) override;

  // 0: unlimited. `on_over` may be called on any thread, more than once.
  void set_limit(std::size_t limit, std::function<void()> on_over);
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }
  // True when the last allocation asked of this allocator was refused (no later one
  // succeeded): at the end of a turn, the module caught the RangeError and went on.
  bool refused() const { return refused_.load(std::memory_order_relaxed); }

  // V8 10.2 adds a resizable ArrayBuffer's growth to the isolate's external memory (resize
  // calls AdjustAmountOfExternalAllocatedMemory) but, when the buffer dies, takes back only
  // its length at creation: every dead buffer that grew would count forever, and a module
  // that streams bodies into one (SPARK) would pass any limit. track_resizable(buffer), before
  // its first resize (engine/js/00_core.js wraps ArrayBuffer.prototype.resize), remembers that
  // length; when the GC finds the buffer dead, what V8 still counts for it is owed back, and
  // settle_owed() (on the isolate's thread, outside GC) gives it back to V8.
  void track_resizable(v8::Isolate* isolate, v8::Local<v8::ArrayBuffer> buffer);
  void settle_owed(v8::Isolate* isolate);
  // What V8 counts as external memory, less what is owed back (callable in GC callbacks).
  std::int64_t external_memory(v8::Isolate* isolate) const;
  // Resets the weak handles of the buffers still tracked (before the isolate is disposed).
  void forget_tracked();

  // While one lives on this thread, allocations are never refused (see above).
  struct HostScope {
    HostScope();
    ~HostScope();
    HostScope(const HostScope&) = delete;
    HostScope& operator=(const HostScope&) = delete;
  };

 private:
  bool admit(std::size_t length);
  struct Tracked;
  static void on_tracked_dead(const v8::WeakCallbackInfo<Tracked>& info);

  std::unique_ptr<v8::ArrayBuffer::Allocator> inner_;
  std::atomic<std::size_t> used_{0};
  std::atomic<int> refusals_in_a_row_{0};
  std::atomic<bool> refused_{false};
  std::size_t limit_ = 0;
  std::function<void()> on_over_;
  std::set<Tracked*> tracked_;  // the isolate's thread only
  std::int64_t owed_ = 0;       // the isolate's thread only (weak callbacks run there)
};

// A backing store for host code (natives, loop callbacks): never refused by the external
// limit, which would abort the process inside V8's API; going past it stops the module.
std::unique_ptr<v8::BackingStore> host_backing_store(v8::Isolate* isolate, std::size_t length);

// Owns one isolate and its ArrayBuffer allocator; disposes the isolate on destruction.
// Every v8::Global tied to the isolate must be reset before this is destroyed.
class IsolateHolder {
 public:
  // `heap_limit_bytes` bounds the old+young generations (CreateParams.constraints).
  // `snapshot`: a startup snapshot (engine/runtime/snapshot.h) and the external references
  // it was made with; both outlive the isolate.
  explicit IsolateHolder(std::size_t heap_limit_bytes, const v8::StartupData* snapshot = nullptr,
                         const std::intptr_t* external_references = nullptr);
  ~IsolateHolder();
  IsolateHolder(const IsolateHolder&) = delete;
  IsolateHolder& operator=(const IsolateHolder&) = delete;

  v8::Isolate* get() const { return isolate_; }
  // Made from a startup snapshot: its context 0 is the bootstrapped one.
  bool from_snapshot() const { return from_snapshot_; }
  ExternalAllocator& allocator() const { return *allocator_; }

 private:
  std::unique_ptr<ExternalAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  bool from_snapshot_ = false;
};

// Ends the JavaScript running in `isolate`; callable from any thread and from V8 callbacks.
// It asks through an interrupt, and the isolate's own thread calls TerminateExecution there.
// Interrupts are served only where JavaScript runs. A termination requested any other way can
// land between Module::Evaluate's stack check and the root module's, and V8 10.2 then aborts
// the whole process (CHECK(module->status() == kErrored) in SourceTextModule::Evaluate).
void terminate_execution(v8::Isolate* isolate);

}  // namespace zinnia::engine
