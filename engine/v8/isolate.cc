#include "engine/v8/isolate.h"

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

std::unique_ptr<v8::BackingStore> host_backing_store(v8::Isolate* isolate, std::size_t length) {
  ExternalAllocator::HostScope scope;
  return v8::ArrayBuffer::NewBackingStore(isolate, length);
}

IsolateHolder::IsolateHolder(std::size_t heap_limit_bytes, const v8::StartupData* snapshot)
    : allocator_(std::make_unique<ExternalAllocator>()) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.snapshot_blob = const_cast<v8::StartupData*>(snapshot);
  if (heap_limit_bytes > 0) params.constraints.ConfigureDefaultsFromHeapSize(0, heap_limit_bytes);
  isolate_ = v8::Isolate::New(params);
}

IsolateHolder::~IsolateHolder() {
  if (isolate_) isolate_->Dispose();
}

void terminate_execution(v8::Isolate* isolate) {
  isolate->RequestInterrupt([](v8::Isolate* self, void*) { self->TerminateExecution(); }, nullptr);
}

}  // namespace zinnia::engine
