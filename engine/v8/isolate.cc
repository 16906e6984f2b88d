#include "engine/v8/isolate.h"

namespace zinnia::engine {

IsolateHolder::IsolateHolder(std::size_t heap_limit_bytes, const v8::StartupData* snapshot)
    : allocator_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {
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
