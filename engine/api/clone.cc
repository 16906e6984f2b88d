// structuredClone via V8's ValueSerializer. Built with -fno-rtti: libnode has no RTTI, and
// subclassing ValueSerializer::Delegate needs its typeinfo otherwise.
#include <v8.h>

#include <cstdlib>

#include "engine/api/host.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    auto error = v8::Exception::Error(message).As<v8::Object>();
    discard(error->Set(isolate_->GetCurrentContext(), to_v8(isolate_, "name"),
                       to_v8(isolate_, "DataCloneError")));
    isolate_->ThrowException(error);
  }

 private:
  v8::Isolate* isolate_;
};

void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  auto context = isolate->GetCurrentContext();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, info[0]).IsNothing()) return;
  auto [data, size] = serializer.Release();
  v8::ValueDeserializer deserializer(isolate, data, size);
  v8::Local<v8::Value> out;
  if (deserializer.ReadHeader(context).FromMaybe(false) &&
      deserializer.ReadValue(context).ToLocal(&out))
    info.GetReturnValue().Set(out);
  std::free(data);
}

}  // namespace

void install_clone(v8::Local<v8::Context> context, v8::Local<v8::Object> host) {
  set_method(context, host, "structuredClone", &StructuredClone);
}

}  // namespace zinnia::engine
