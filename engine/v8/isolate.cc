#include "engine/v8/isolate.h"

#include "engine/v8/bind.h"

namespace zinnia::engine {

namespace {
thread_local int t_host_scopes = 0;
// V8 10.2 asks once, then twice after a full GC, then after a last-resort GC.
constexpr int kAttemptsBeforeGivingUp = 4;
}  // namespace

ExternalAllocator::ExternalAllocator()
    : inner_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}

ExternalAllocator::HostScope::HostScope() { ++t_host_scopes; }
ExternalAllocator::HostScope::~HostScope() { --t_host_scopes; }

void ExternalAllocator::set_limit(std::size_t limit, std::function<void()> on_over) {
  limit_ = limit;
  on_over_ = std::move(on_over);
}

bool ExternalAllocator::admit(std::size_t length) {
  if (limit_ == 0) {
    used_.fetch_add(length, std::memory_order_relaxed);
    return true;
  }
  if (t_host_scopes > 0) {
    if (used_.fetch_add(length, std::memory_order_relaxed) + length > limit_ && on_over_)
      on_over_();
    return true;
  }
  std::size_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (length > limit_ || cur > limit_ - length) {
      // More than the whole limit at once cannot succeed after any GC.
      if ((length > limit_ || refusals_in_a_row_.fetch_add(1) + 1 >= kAttemptsBeforeGivingUp) &&
          on_over_)
        on_over_();
      refused_.store(true, std::memory_order_relaxed);
      return false;
    }
  } while (!used_.compare_exchange_weak(cur, cur + length, std::memory_order_relaxed));
  refusals_in_a_row_.store(0, std::memory_order_relaxed);
  refused_.store(false, std::memory_order_relaxed);
  return true;
}

void* ExternalAllocator::Allocate(std::size_t length) {
  if (!admit(length)) return nullptr;
  void* p = inner_->Allocate(length);
  if (!p) used_.fetch_sub(length, std::memory_order_relaxed);
  return p;
}

void* ExternalAllocator::AllocateUninitialized(std::size_t length) {
  if (!admit(length)) return nullptr;
  void* p = inner_->AllocateUninitialized(length);
  if (!p) used_.fetch_sub(length, std::memory_order_relaxed);
  return p;
}

void ExternalAllocator::Free(void* data, std::size_t length) {
  inner_->Free(data, length);
  used_.fetch_sub(length, std::memory_order_relaxed);
}

struct ExternalAllocator::Tracked {
  ExternalAllocator* owner;
  v8::Global<v8::ArrayBuffer> handle;
  // Kept until the weak callback, so the final length can be read there.
  std::shared_ptr<v8::BackingStore> store;
  std::size_t counted_at_creation;
};

void ExternalAllocator::track_resizable(v8::Isolate* isolate, v8::Local<v8::ArrayBuffer> buffer) {
  settle_owed(isolate);
  auto* t = new Tracked{this, v8::Global<v8::ArrayBuffer>(isolate, buffer),
                        buffer->GetBackingStore(), buffer->ByteLength()};
  t->handle.SetWeak(t, &ExternalAllocator::on_tracked_dead, v8::WeakCallbackType::kParameter);
  tracked_.insert(t);
}

void ExternalAllocator::on_tracked_dead(const v8::WeakCallbackInfo<Tracked>& info) {
  std::unique_ptr<Tracked> t(info.GetParameter());
  t->handle.Reset();
  const std::size_t now = t->store->ByteLength();
  t->owner->owed_ +=
      static_cast<std::int64_t>(now) - static_cast<std::int64_t>(t->counted_at_creation);
  t->owner->tracked_.erase(t.get());
}

void ExternalAllocator::settle_owed(v8::Isolate* isolate) {
  if (owed_ == 0) return;
  isolate->AdjustAmountOfExternalAllocatedMemory(-owed_);
  owed_ = 0;
}

std::int64_t ExternalAllocator::external_memory(v8::Isolate* isolate) const {
  return isolate->AdjustAmountOfExternalAllocatedMemory(0) - owed_;
}

void ExternalAllocator::forget_tracked() {
  for (Tracked* t : tracked_) {
    t->handle.Reset();
    delete t;
  }
  tracked_.clear();
}

std::unique_ptr<v8::BackingStore> host_backing_store(v8::Isolate* isolate, std::size_t length) {
  ExternalAllocator::HostScope scope;
  return v8::ArrayBuffer::NewBackingStore(isolate, length);
}

IsolateHolder::IsolateHolder(std::size_t heap_limit_bytes, const v8::StartupData* snapshot,
                             const std::intptr_t* external_references)
    : allocator_(std::make_unique<ExternalAllocator>()), from_snapshot_(snapshot != nullptr) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.snapshot_blob = const_cast<v8::StartupData*>(snapshot);
  params.external_references = external_references;
  if (heap_limit_bytes > 0) params.constraints.ConfigureDefaultsFromHeapSize(0, heap_limit_bytes);
  isolate_ = v8::Isolate::New(params);
}

IsolateHolder::~IsolateHolder() {
  allocator_->forget_tracked();
  if (isolate_) bind::forget(isolate_);
  if (isolate_) isolate_->Dispose();
}

void terminate_execution(v8::Isolate* isolate) {
  isolate->RequestInterrupt([](v8::Isolate* self, void*) { self->TerminateExecution(); }, nullptr);
}

}  // namespace zinnia::engine
