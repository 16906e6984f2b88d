// structuredClone via V8's ValueSerializer. Built with -fno-rtti: libnode has no RTTI, and
// subclassing ValueSerializer::Delegate needs its typeinfo otherwise.
#include <v8.h>

#include <cstdlib>

#include "engine/api/host.h"
#include "engine/v8/bind.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    bind::throw_dom_exception(isolate_, "DataCloneError", to_utf8(isolate_, message));
  }

 private:
  v8::Isolate* isolate_;
};

}  // namespace

// structuredClone(value): a missing value clones undefined (Rest reads past the end as that).
v8::MaybeLocal<v8::Value> structured_clone(bind::Call& call, bind::Rest args) {
  auto* isolate = call.isolate();
  auto context = call.context();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, args[0]).IsNothing()) return {};
  auto [data, size] = serializer.Release();
  v8::ValueDeserializer deserializer(isolate, data, size);
  v8::MaybeLocal<v8::Value> out;
  if (deserializer.ReadHeader(context).FromMaybe(false)) out = deserializer.ReadValue(context);
  std::free(data);
  return out;
}

}  // namespace zinnia::engine
