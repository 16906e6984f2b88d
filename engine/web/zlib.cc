// CompressionStream / DecompressionStream natives (js/compression.js): gzip, deflate (zlib
// wrapper) and deflate-raw on zlib, brotli on libbrotli; one stream state per JS stream behind
// a handle object.

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"
#include "engine/web/web.h"
#include "engine/web/zstream.h"

namespace zinnia::engine {
namespace web {
namespace {

struct ZlibState;

// One JS stream's codec, owned by its handle object (freed when that is collected or the
// module ends).
struct Zhandle {
  std::unique_ptr<Zstream> codec;
  ZlibState* state = nullptr;
  v8::Global<v8::Object> holder;
};

struct ZlibState {
  explicit ZlibState(v8::Local<v8::Context>) {}
  ZlibState(const ZlibState&) = delete;
  ZlibState& operator=(const ZlibState&) = delete;
  ~ZlibState() {
    for (auto* s : streams) {
      s->holder.Reset();
      delete s;
    }
    handle_template.Reset();
  }
  std::unordered_set<Zhandle*> streams;
  v8::Global<v8::ObjectTemplate> handle_template;
};

// host.zlibOpen(format, compress) -> handle; format: "gzip", "deflate", "deflate-raw".
v8::Local<v8::Value> ZlibOpen(bind::Call& call, ZlibState& zst, bind::Rest args) {
  auto* isolate = call.isolate();
  auto context = isolate->GetCurrentContext();
  if (args.size() < 2) throw bind::TypeError("zlibOpen: expected (format, compress)");
  std::string format = to_utf8(isolate, args[0]);
  auto* s = new Zhandle{};
  try {
    s->codec = std::make_unique<Zstream>(format, args[1]->IsTrue());
  } catch (const std::invalid_argument& e) {
    delete s;
    throw bind::TypeError(std::string("zlibOpen: ") + e.what());
  } catch (const ZstreamError& e) {
    delete s;
    throw bind::Error(std::string("zlibOpen: ") + e.what());
  }
  ZlibState* st = &zst;
  if (st->handle_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    st->handle_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!st->handle_template.Get(isolate)->NewInstance(context).ToLocal(&obj)) {
    delete s;
    throw bind::Pending();
  }
  obj->SetAlignedPointerInInternalField(0, s);
  s->state = st;
  s->holder.Reset(isolate, obj);
  s->holder.SetWeak(
      s,
      [](const v8::WeakCallbackInfo<Zhandle>& info) {
        Zhandle* z = info.GetParameter();
        z->holder.Reset();
        z->state->streams.erase(z);
        delete z;
      },
      v8::WeakCallbackType::kParameter);
  st->streams.insert(s);
  return obj;
}

// host.zlibPush(handle, bytes, finish) -> Uint8Array of output (possibly empty), with
// `trailing: true` when input went on past the end of the compressed data. Throws TypeError
// on corrupt input and (finish) when the compressed data is cut short.
v8::Local<v8::Value> ZlibPush(bind::Call& call, ZlibState&, bind::Rest args) {
  auto* isolate = call.isolate();
  if (args.size() < 3 || !args[0]->IsObject() ||
      args[0].As<v8::Object>()->InternalFieldCount() != 1 || !args[1]->IsArrayBufferView())
    throw bind::TypeError("zlibPush: expected (handle, bytes, finish)");
  auto* s = static_cast<Zhandle*>(args[0].As<v8::Object>()->GetAlignedPointerFromInternalField(0));
  auto view = args[1].As<v8::ArrayBufferView>();
  std::vector<std::uint8_t> in(view->ByteLength());
  if (!in.empty()) view->CopyContents(in.data(), in.size());
  std::vector<std::uint8_t> out;
  bool trailing = false;
  try {
    trailing = s->codec->push(in.data(), in.size(), args[2]->IsTrue(), out);
  } catch (const ZstreamError& e) {
    throw bind::TypeError(e.what());
  }
  auto store = host_backing_store(isolate, out.size());
  if (!out.empty()) std::memcpy(store->Data(), out.data(), out.size());
  auto ab = v8::ArrayBuffer::New(isolate, std::move(store));
  auto result = v8::Uint8Array::New(ab, 0, out.size());
  // Data after the end: the output so far is still given (the stream errors after it).
  if (trailing)
    discard(
        result->Set(isolate->GetCurrentContext(), to_v8(isolate, "trailing"), v8::True(isolate)));
  return result;
}

}  // namespace

}  // namespace web

const bind::Extension& compression_extension() {
  static const bind::Extension ext = bind::with_state<web::ZlibState>({
      .name = "compression",
      .js = {"engine/web/js/compression.js"},
      .natives = {bind::native<"zlibOpen", &web::ZlibOpen>(),
                  bind::native<"zlibPush", &web::ZlibPush>()},
  });
  return ext;
}

}  // namespace zinnia::engine
