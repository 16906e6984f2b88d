// structuredClone via V8's ValueSerializer. Built with -fno-rtti: libnode has no RTTI, and
// subclassing ValueSerializer::Delegate needs its typeinfo otherwise.
#include <v8.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/api/host.h"
#include "engine/v8/bind.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

// Views are written by us, not by V8: V8 10.2 writes a view on a resizable buffer with the
// backed-by-RAB flag but the buffer as a fixed one, and then its own deserializer refuses the
// data ("Unable to deserialize cloned data"). We write the kind, the buffer (as a value, so a
// buffer shared by several views stays one object), offset and length. A resizable buffer
// clones to a fixed one of its current length (V8 10.2 does not serialize resizability).
enum class ViewKind : std::uint32_t {
  kDataView,
  kInt8,
  kUint8,
  kUint8Clamped,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kFloat32,
  kFloat64,
  kBigInt64,
  kBigUint64,
};

bool view_kind(v8::Local<v8::Object> o, ViewKind* kind) {
  if (o->IsDataView())
    *kind = ViewKind::kDataView;
  else if (o->IsInt8Array())
    *kind = ViewKind::kInt8;
  else if (o->IsUint8Array())
    *kind = ViewKind::kUint8;
  else if (o->IsUint8ClampedArray())
    *kind = ViewKind::kUint8Clamped;
  else if (o->IsInt16Array())
    *kind = ViewKind::kInt16;
  else if (o->IsUint16Array())
    *kind = ViewKind::kUint16;
  else if (o->IsInt32Array())
    *kind = ViewKind::kInt32;
  else if (o->IsUint32Array())
    *kind = ViewKind::kUint32;
  else if (o->IsFloat32Array())
    *kind = ViewKind::kFloat32;
  else if (o->IsFloat64Array())
    *kind = ViewKind::kFloat64;
  else if (o->IsBigInt64Array())
    *kind = ViewKind::kBigInt64;
  else if (o->IsBigUint64Array())
    *kind = ViewKind::kBigUint64;
  else
    return false;
  return true;
}

v8::Local<v8::Object> make_view(ViewKind kind, v8::Local<v8::ArrayBuffer> b, std::size_t off,
                                std::size_t bytes) {
  switch (kind) {
    case ViewKind::kDataView:
      return v8::DataView::New(b, off, bytes);
    case ViewKind::kInt8:
      return v8::Int8Array::New(b, off, bytes);
    case ViewKind::kUint8:
      return v8::Uint8Array::New(b, off, bytes);
    case ViewKind::kUint8Clamped:
      return v8::Uint8ClampedArray::New(b, off, bytes);
    case ViewKind::kInt16:
      return v8::Int16Array::New(b, off, bytes / 2);
    case ViewKind::kUint16:
      return v8::Uint16Array::New(b, off, bytes / 2);
    case ViewKind::kInt32:
      return v8::Int32Array::New(b, off, bytes / 4);
    case ViewKind::kUint32:
      return v8::Uint32Array::New(b, off, bytes / 4);
    case ViewKind::kFloat32:
      return v8::Float32Array::New(b, off, bytes / 4);
    case ViewKind::kFloat64:
      return v8::Float64Array::New(b, off, bytes / 8);
    case ViewKind::kBigInt64:
      return v8::BigInt64Array::New(b, off, bytes / 8);
    case ViewKind::kBigUint64:
      return v8::BigUint64Array::New(b, off, bytes / 8);
  }
  return {};
}

// A host object named in the transfer list (a MessagePort: engine/web/js/messaging.js) is
// written as this tag and its index there; the transfer hook gives its replacement.
constexpr std::uint32_t kTransferredTag = 0xFFFFFFFFu;
// Another host object (a Blob): the hook's clone of it, made while serializing, and its index.
constexpr std::uint32_t kClonedTag = 0xFFFFFFFEu;

class CloneDelegate final : public v8::ValueSerializer::Delegate,
                            public v8::ValueDeserializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    bind::throw_dom_exception(isolate_, "DataCloneError", to_utf8(isolate_, message));
  }
  v8::Maybe<bool> WriteHostObject(v8::Isolate* isolate, v8::Local<v8::Object> object) override {
    ViewKind kind;
    if (!view_kind(object, &kind)) {
      for (std::size_t i = 0; i < host_transfer_.size(); ++i) {
        if (host_transfer_[i]->StrictEquals(object)) {
          serializer_->WriteUint32(kTransferredTag);
          serializer_->WriteUint32(static_cast<std::uint32_t>(i));
          return v8::Just(true);
        }
      }
      if (!hook_.IsEmpty()) {
        v8::Local<v8::Value> argv[] = {object, v8::False(isolate)};
        v8::Local<v8::Value> copy;
        if (!hook_->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 2, argv)
                 .ToLocal(&copy))
          return v8::Nothing<bool>();
        if (copy->IsObject()) {
          // Kept in an array made outside the serializer: V8 may call us inside a HandleScope
          // of its own, which a Local made here would not outlive.
          const std::uint32_t index = cloned_->Length();
          if (cloned_->Set(isolate->GetCurrentContext(), index, copy).IsNothing())
            return v8::Nothing<bool>();
          serializer_->WriteUint32(kClonedTag);
          serializer_->WriteUint32(index);
          return v8::Just(true);
        }
      }
      ThrowDataCloneError(to_v8(isolate, "The object could not be cloned"));
      return v8::Nothing<bool>();
    }
    auto view = object.As<v8::ArrayBufferView>();
    serializer_->WriteUint32(static_cast<std::uint32_t>(kind));
    if (serializer_->WriteValue(isolate->GetCurrentContext(), view->Buffer()).IsNothing())
      return v8::Nothing<bool>();
    serializer_->WriteUint64(view->ByteOffset());
    // ByteLength() is 0 for a length-tracking view in V8 10.2's API; the JS getter is right.
    std::uint64_t length = view->ByteLength();
    v8::Local<v8::Value> js_length;
    if (view->Get(isolate->GetCurrentContext(), to_v8(isolate, "byteLength")).ToLocal(&js_length) &&
        js_length->IsNumber())
      length = static_cast<std::uint64_t>(js_length.As<v8::Number>()->Value());
    serializer_->WriteUint64(length);
    return v8::Just(true);
  }
  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* isolate) override {
    std::uint32_t kind = 0;
    std::uint64_t offset = 0, length = 0;
    v8::Local<v8::Value> buffer;
    if (!deserializer_->ReadUint32(&kind)) return {};
    if (kind == kTransferredTag) {
      std::uint32_t index = 0;
      if (!deserializer_->ReadUint32(&index) || index >= replacements_.size()) return {};
      return replacements_[index];
    }
    if (kind == kClonedTag) {
      std::uint32_t index = 0;
      v8::Local<v8::Value> copy;
      if (!deserializer_->ReadUint32(&index) || index >= cloned_->Length() ||
          !cloned_->Get(isolate->GetCurrentContext(), index).ToLocal(&copy) || !copy->IsObject())
        return {};
      return copy.As<v8::Object>();
    }
    if (kind > static_cast<std::uint32_t>(ViewKind::kBigUint64) ||
        !deserializer_->ReadValue(isolate->GetCurrentContext()).ToLocal(&buffer) ||
        !buffer->IsArrayBuffer() || !deserializer_->ReadUint64(&offset) ||
        !deserializer_->ReadUint64(&length) ||
        offset + length > buffer.As<v8::ArrayBuffer>()->ByteLength())
      return {};
    return make_view(static_cast<ViewKind>(kind), buffer.As<v8::ArrayBuffer>(), offset, length);
  }
  v8::ValueSerializer* serializer_ = nullptr;
  v8::ValueDeserializer* deserializer_ = nullptr;
  std::vector<v8::Local<v8::Object>> host_transfer_;  // transferred objects that are not buffers
  std::vector<v8::Local<v8::Object>> replacements_;   // what the hook gave for each
  v8::Local<v8::Array> cloned_;                       // other host objects' clones
  v8::Local<v8::Function> hook_;

 private:
  v8::Isolate* isolate_;
};

}  // namespace

// structuredClone(value, {transfer}, hook): a missing value clones undefined (Rest reads past
// the end as that). `hook`, given by the web layer's structuredClone (messaging.js), makes
// other objects in the transfer list transferable: each is written as a reference, and after
// serialization hook(object, true) returns the object that takes its place in the clone
// (messaging.js checks the list first). Other host objects (API objects V8 cannot serialize,
// a Blob) are cloned by hook(object, false), or are a DataCloneError when it returns
// undefined. Without a hook only ArrayBuffers can be transferred.
v8::MaybeLocal<v8::Value> structured_clone(bind::Call& call, bind::Rest args) {
  auto* isolate = call.isolate();
  auto context = call.context();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  delegate.serializer_ = &serializer;
  if (args[2]->IsFunction()) {
    delegate.hook_ = args[2].As<v8::Function>();
    delegate.cloned_ = v8::Array::New(isolate);
  }
  serializer.SetTreatArrayBufferViewsAsHostObjects(true);
  // structuredClone(value, {transfer: [ArrayBuffer...]}): the buffers move (core-js's
  // ArrayBuffer.prototype.transfer is built on this).
  std::vector<v8::Local<v8::ArrayBuffer>> transfer;
  if (args[1]->IsObject()) {
    v8::Local<v8::Value> list;
    if (!args[1].As<v8::Object>()->Get(context, to_v8(isolate, "transfer")).ToLocal(&list))
      return {};
    if (list->IsArray()) {
      auto array = list.As<v8::Array>();
      for (std::uint32_t i = 0; i < array->Length(); ++i) {
        v8::Local<v8::Value> item;
        if (!array->Get(context, i).ToLocal(&item)) return {};
        if (item->IsObject() && !item->IsArrayBuffer() && args[2]->IsFunction()) {
          delegate.host_transfer_.push_back(item.As<v8::Object>());
          continue;
        }
        if (!item->IsArrayBuffer() || !item.As<v8::ArrayBuffer>()->IsDetachable()) {
          delegate.ThrowDataCloneError(to_v8(isolate, "Value not transferable"));
          return {};
        }
        if (item.As<v8::ArrayBuffer>()->WasDetached()) {
          delegate.ThrowDataCloneError(to_v8(isolate, "An ArrayBuffer is detached"));
          return {};
        }
        transfer.push_back(item.As<v8::ArrayBuffer>());
        serializer.TransferArrayBuffer(static_cast<std::uint32_t>(transfer.size() - 1),
                                       transfer.back());
      }
    } else if (!list->IsUndefined()) {
      throw_type_error(isolate, "structuredClone: options.transfer must be an array");
      return {};
    }
  }
  serializer.WriteHeader();
  if (serializer.WriteValue(context, args[0]).IsNothing()) return {};
  auto [data, size] = serializer.Release();
  for (auto object : delegate.host_transfer_) {
    v8::Local<v8::Value> argv[] = {object, v8::True(isolate)};
    v8::Local<v8::Value> replacement;
    if (!delegate.hook_->Call(context, v8::Undefined(isolate), 2, argv).ToLocal(&replacement) ||
        !replacement->IsObject()) {
      std::free(data);
      if (!replacement.IsEmpty())
        delegate.ThrowDataCloneError(to_v8(isolate, "Value not transferable"));
      return {};
    }
    delegate.replacements_.push_back(replacement.As<v8::Object>());
  }
  v8::ValueDeserializer deserializer(isolate, data, size, &delegate);
  delegate.deserializer_ = &deserializer;
  for (std::size_t i = 0; i < transfer.size(); ++i) {
    auto store = transfer[i]->GetBackingStore();
    transfer[i]->Detach();
    deserializer.TransferArrayBuffer(static_cast<std::uint32_t>(i),
                                     v8::ArrayBuffer::New(isolate, std::move(store)));
  }
  v8::MaybeLocal<v8::Value> out;
  if (deserializer.ReadHeader(context).FromMaybe(false)) out = deserializer.ReadValue(context);
  std::free(data);
  return out;
}

}  // namespace zinnia::engine
