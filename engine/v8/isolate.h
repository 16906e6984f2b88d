#pragma once
#include <v8.h>

#include <cstddef>
#include <memory>

namespace zinnia::engine {

// Owns one isolate and its ArrayBuffer allocator; disposes the isolate on destruction.
// Every v8::Global tied to the isolate must be reset before this is destroyed.
class IsolateHolder {
 public:
  // `heap_limit_bytes` bounds the old+young generations (CreateParams.constraints).
  explicit IsolateHolder(std::size_t heap_limit_bytes, const v8::StartupData* snapshot = nullptr);
  ~IsolateHolder();
  IsolateHolder(const IsolateHolder&) = delete;
  IsolateHolder& operator=(const IsolateHolder&) = delete;

  v8::Isolate* get() const { return isolate_; }

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

// Ends the JavaScript running in `isolate`; callable from any thread and from V8 callbacks.
// It asks through an interrupt, and the isolate's own thread calls TerminateExecution there.
// Interrupts are served only where JavaScript runs. A termination requested any other way can
// land between Module::Evaluate's stack check and the root module's, and V8 10.2 then aborts
// the whole process (CHECK(module->status() == kErrored) in SourceTextModule::Evaluate).
void terminate_execution(v8::Isolate* isolate);

}  // namespace zinnia::engine
