// CompressionStream / DecompressionStream natives (js/compression.js): gzip, deflate (zlib
// wrapper) and deflate-raw on zlib, brotli on libbrotli; one stream state per JS stream behind
// a handle object.

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"
#include "engine/web/web.h"

namespace zinnia::engine {
namespace web {
namespace {

struct ZlibState;

struct Zstream {
  z_stream z{};
  BrotliEncoderState* benc = nullptr;  // brotli: one of these two, and no z_stream
  BrotliDecoderState* bdec = nullptr;
  bool compress = false;
  bool ended = false;  // the compressed data's end was seen (decompression)
  ZlibState* state = nullptr;
  v8::Global<v8::Object> holder;
  ~Zstream() {
    if (benc)
      BrotliEncoderDestroyInstance(benc);
    else if (bdec)
      BrotliDecoderDestroyInstance(bdec);
    else if (compress)
      deflateEnd(&z);
    else
      inflateEnd(&z);
  }
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
  std::unordered_set<Zstream*> streams;
  v8::Global<v8::ObjectTemplate> handle_template;
};

// host.zlibOpen(format, compress) -> handle; format: "gzip", "deflate", "deflate-raw".
v8::Local<v8::Value> ZlibOpen(bind::Call& call, ZlibState& zst, bind::Rest args) {
  auto* isolate = call.isolate();
  auto context = isolate->GetCurrentContext();
  if (args.size() < 2) throw bind::TypeError("zlibOpen: expected (format, compress)");
  std::string format = to_utf8(isolate, args[0]);
  int bits = format == "gzip"          ? 15 + 16
             : format == "deflate"     ? 15
             : format == "deflate-raw" ? -15
                                       : 0;
  if (bits == 0 && format != "brotli")
    throw bind::TypeError("zlibOpen: unsupported format " + format);
  auto* s = new Zstream{};
  s->compress = args[1]->IsTrue();
  int rc = Z_OK;
  if (format == "brotli") {
    if (s->compress)
      s->benc = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    else
      s->bdec = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    if (!s->benc && !s->bdec) rc = Z_MEM_ERROR;
  } else {
    rc = s->compress
             ? deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY)
             : inflateInit2(&s->z, bits);
  }
  if (rc != Z_OK) {
    delete s;  // deflateEnd/inflateEnd refuse a stream whose init failed; nothing leaks
    throw bind::Error("zlibOpen: zlib init failed");
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
      [](const v8::WeakCallbackInfo<Zstream>& info) {
        Zstream* z = info.GetParameter();
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
  auto* s = static_cast<Zstream*>(args[0].As<v8::Object>()->GetAlignedPointerFromInternalField(0));
  auto view = args[1].As<v8::ArrayBufferView>();
  std::vector<std::uint8_t> in(view->ByteLength());
  if (!in.empty()) view->CopyContents(in.data(), in.size());
  bool finish = args[2]->IsTrue();
  if (!s->compress && s->ended && !in.empty())
    throw bind::TypeError("DecompressionStream: extra data after the end of the compressed data");
  std::vector<std::uint8_t> out;
  std::uint8_t buf[16384];
  bool trailing = false;
  if (s->benc || s->bdec) {
    const std::uint8_t* next_in = in.data();
    std::size_t avail_in = in.size();
    for (;;) {
      std::uint8_t* next_out = buf;
      std::size_t avail_out = sizeof buf;
      if (s->benc) {
        if (!BrotliEncoderCompressStream(
                s->benc, finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS, &avail_in,
                &next_in, &avail_out, &next_out, nullptr))
          throw bind::TypeError("CompressionStream: brotli encoder failed");
        out.insert(out.end(), buf, next_out);
        bool more = BrotliEncoderHasMoreOutput(s->benc);
        if (finish ? BrotliEncoderIsFinished(s->benc) : (avail_in == 0 && !more)) break;
      } else {
        auto rc = BrotliDecoderDecompressStream(s->bdec, &avail_in, &next_in, &avail_out, &next_out,
                                                nullptr);
        out.insert(out.end(), buf, next_out);
        if (rc == BROTLI_DECODER_RESULT_ERROR)
          throw bind::TypeError(std::string("DecompressionStream: corrupt brotli input (") +
                                BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s->bdec)) + ")");
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
          s->ended = true;
          trailing = avail_in != 0;
          break;
        }
        if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) break;
      }
    }
  } else {
    s->z.next_in = in.data();
    s->z.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      s->z.next_out = buf;
      s->z.avail_out = sizeof buf;
      int rc;
      if (s->compress) {
        rc = deflate(&s->z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) throw bind::TypeError("CompressionStream: zlib deflate failed");
      } else {
        rc = inflate(&s->z, Z_NO_FLUSH);
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
          throw bind::TypeError(std::string("DecompressionStream: corrupt input (") +
                                (s->z.msg ? s->z.msg : "zlib error") + ")");
        if (rc == Z_STREAM_END) s->ended = true;
      }
      out.insert(out.end(), buf, buf + (sizeof buf - s->z.avail_out));
      if (s->compress) {
        if (finish ? rc == Z_STREAM_END : (s->z.avail_in == 0 && s->z.avail_out != 0)) break;
      } else {
        if (s->ended) {
          trailing = s->z.avail_in != 0;
          break;
        }
        if (s->z.avail_in == 0 && s->z.avail_out != 0) break;
        if (rc == Z_BUF_ERROR) break;
      }
    }
  }
  if (!s->compress && finish && !s->ended && !trailing)
    throw bind::TypeError("DecompressionStream: the compressed data ended early");
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
