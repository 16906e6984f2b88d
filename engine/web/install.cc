// The web APIs' natives on `host`: fetch (fetch.cc), crypto on OpenSSL, performance clock,
// and a fast UTF-8 encoder. The JS halves live in engine/web/js/.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "engine/api/web_hook.h"
#include "engine/loop/loop.h"
#include "engine/v8/util.h"
#include "engine/web/fetch.h"
#include "engine/web/subtle.h"
#include "engine/web/zlib.h"

namespace zinnia::engine {
namespace {

// Per-module state behind the natives; freed by the loop's close hook.
struct WebState;

// A timer that does not keep the module alive (AbortSignal.timeout, as in browsers and Deno).
struct WeakTimer {
  uv_timer_t handle;
  WebState* web;
  v8::Global<v8::Function> callback;
};

// One ICU converter behind a legacy-encoding TextDecoder; freed when the decoder is collected
// or when the module ends.
struct IcuDecoder {
  UConverter* conv = nullptr;
  WebState* web = nullptr;
  v8::Global<v8::Object> holder;
};

struct WebState {
  explicit WebState(Loop& l) : loop(l), fetch(l) {}
  ~WebState() {
    for (auto* d : decoders) {
      d->holder.Reset();
      ucnv_close(d->conv);
      delete d;
    }
    decoder_template.Reset();
    for (auto* t : timers) {
      t->callback.Reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&t->handle),
               [](uv_handle_t* h) { delete reinterpret_cast<WeakTimer*>(h); });
    }
  }
  Loop& loop;
  std::unordered_set<WeakTimer*> timers;
  std::unordered_set<IcuDecoder*> decoders;
  v8::Global<v8::ObjectTemplate> decoder_template;
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
  double origin_epoch_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) /
      1000.0;
  web::FetchClient fetch;
};

WebState* state(const v8::FunctionCallbackInfo<v8::Value>& args) {
  return static_cast<WebState*>(args.Data().As<v8::External>()->Value());
}

// Bytes of a Uint8Array (or any ArrayBufferView) argument.
bool view_bytes(v8::Local<v8::Value> value, std::uint8_t*& data, std::size_t& size) {
  if (!value->IsArrayBufferView()) return false;
  auto view = value.As<v8::ArrayBufferView>();
  auto buffer = view->Buffer();
  data = static_cast<std::uint8_t*>(buffer->Data()) + view->ByteOffset();
  size = view->ByteLength();
  return true;
}

// host.randomFill(u8): fills in place from OpenSSL's CSPRNG.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& args) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (args.Length() < 1 || !view_bytes(args[0], data, size))
    return throw_type_error(args.GetIsolate(), "randomFill: expected a typed array");
  if (size > 0 && RAND_bytes(data, static_cast<int>(size)) != 1)
    return throw_error(args.GetIsolate(), "randomFill: RAND_bytes failed");
}

// host.digest("SHA256", u8) -> ArrayBuffer.
void Digest(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (args.Length() < 2 || !view_bytes(args[1], data, size))
    return throw_type_error(isolate, "digest: expected (name, bytes)");
  std::string name = to_utf8(isolate, args[0]);
  const EVP_MD* md = name == "SHA1"     ? EVP_sha1()
                     : name == "SHA256" ? EVP_sha256()
                     : name == "SHA384" ? EVP_sha384()
                     : name == "SHA512" ? EVP_sha512()
                                        : nullptr;
  if (!md) return throw_type_error(isolate, "digest: unsupported algorithm " + name);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, size, out, &len, md, nullptr) != 1)
    return throw_error(isolate, "digest: EVP_Digest failed");
  auto store = v8::ArrayBuffer::NewBackingStore(isolate, len);
  std::memcpy(store->Data(), out, len);
  args.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

// host.now(): monotonic milliseconds (with fractions) since the module's time origin.
void Now(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto elapsed = std::chrono::steady_clock::now() - state(args)->origin;
  double ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
      1e6;
  args.GetReturnValue().Set(ms);
}

void TimeOrigin(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(state(args)->origin_epoch_ms);
}

// host.utf8Encode(string) -> Uint8Array; lone surrogates become U+FFFD.
void Utf8Encode(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsString())
    return throw_type_error(isolate, "utf8Encode: expected a string");
  auto str = args[0].As<v8::String>();
  int len = str->Utf8Length(isolate);
  auto store = v8::ArrayBuffer::NewBackingStore(isolate, static_cast<std::size_t>(len));
  if (len > 0)
    str->WriteUtf8(isolate, static_cast<char*>(store->Data()), len, nullptr,
                   v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  auto buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  args.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, static_cast<std::size_t>(len)));
}

// host.weakTimer(ms, fn): calls fn once after ms unless the module has ended by then.
void WeakTimerStart(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  if (args.Length() < 2 || !args[0]->IsNumber() || !args[1]->IsFunction())
    return throw_type_error(isolate, "weakTimer: expected (ms, fn)");
  WebState* web = state(args);
  double ms = std::max(0.0, args[0].As<v8::Number>()->Value());
  auto* t = new WeakTimer{};
  t->web = web;
  t->callback.Reset(isolate, args[1].As<v8::Function>());
  uv_timer_init(web->loop.uv(), &t->handle);
  t->handle.data = t;
  uv_unref(reinterpret_cast<uv_handle_t*>(&t->handle));
  web->timers.insert(t);
  uv_timer_start(
      &t->handle,
      [](uv_timer_t* h) {
        auto* timer = static_cast<WeakTimer*>(h->data);
        WebState* w = timer->web;
        w->timers.erase(timer);
        Loop& loop = w->loop;
        loop.run([&] {
          auto* iso = loop.isolate();
          auto fn = timer->callback.Get(iso);
          timer->callback.Reset();
          loop.call(fn, v8::Undefined(iso), 0, nullptr);
        });
        uv_close(reinterpret_cast<uv_handle_t*>(h),
                 [](uv_handle_t* handle) { delete reinterpret_cast<WeakTimer*>(handle); });
      },
      static_cast<std::uint64_t>(ms), 0);
}

// host.fetchStart(method, url, [name, value, ...], body: Uint8Array|null|true, follow, onEvent)
// -> id; body `true`: a streamed body, pulled with onEvent(4) and given with fetchWrite.
void FetchStart(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  auto context = isolate->GetCurrentContext();
  if (args.Length() < 6 || !args[2]->IsArray() || !args[5]->IsFunction())
    return throw_type_error(isolate, "fetchStart: bad arguments");
  web::FetchClient::Request req;
  req.method = to_utf8(isolate, args[0]);
  req.url = to_utf8(isolate, args[1]);
  auto pairs = args[2].As<v8::Array>();
  for (uint32_t i = 0; i + 1 < pairs->Length(); i += 2) {
    v8::Local<v8::Value> name, value;
    if (!pairs->Get(context, i).ToLocal(&name) || !pairs->Get(context, i + 1).ToLocal(&value))
      return;
    req.headers.emplace_back(to_utf8(isolate, name), to_utf8(isolate, value));
  }
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (view_bytes(args[3], data, size)) {
    req.has_body = true;
    req.body.assign(data, data + size);
  }
  if (args[3]->IsTrue()) req.stream_body = true;  // chunks follow through fetchWrite
  req.follow_redirects = args[4]->IsTrue();
  auto id = state(args)->fetch.start(std::move(req), args[5].As<v8::Function>());
  if (id != 0) args.GetReturnValue().Set(v8::Integer::NewFromUnsigned(isolate, id));
}

void FetchResume(const v8::FunctionCallbackInfo<v8::Value>& args) {
  if (args.Length() < 1 || !args[0]->IsUint32()) return;
  state(args)->fetch.resume(args[0].As<v8::Uint32>()->Value());
}

// host.fetchWrite(id, chunk: Uint8Array | null): the next streamed body chunk; null ends it.
void FetchWrite(const v8::FunctionCallbackInfo<v8::Value>& args) {
  if (args.Length() < 2 || !args[0]->IsUint32()) return;
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  bool end = !view_bytes(args[1], data, size);
  state(args)->fetch.write_body(args[0].As<v8::Uint32>()->Value(), data, size, end);
}

void FetchAbort(const v8::FunctionCallbackInfo<v8::Value>& args) {
  if (args.Length() < 1 || !args[0]->IsUint32()) return;
  state(args)->fetch.abort(args[0].As<v8::Uint32>()->Value());
}

// host.icuDecoderOpen(icuName) -> handle: an ICU converter for TextDecoder (js/legacy_encoding.js).
void IcuDecoderOpen(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  auto context = isolate->GetCurrentContext();
  WebState* web = state(args);
  std::string name = args.Length() > 0 ? to_utf8(isolate, args[0]) : "";
  UErrorCode err = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(name.c_str(), &err);
  if (U_FAILURE(err) || !conv) {
    isolate->ThrowException(v8::Exception::RangeError(to_v8(
        isolate, "TextDecoder: ICU has no converter " + name + " (" + u_errorName(err) + ")")));
    return;
  }
  // Errors stop the conversion; IcuDecode substitutes U+FFFD itself (or fails when fatal).
  ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  if (web->decoder_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    web->decoder_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!web->decoder_template.Get(isolate)->NewInstance(context).ToLocal(&obj)) {
    ucnv_close(conv);
    return;
  }
  auto* d = new IcuDecoder{conv, web, {}};
  obj->SetAlignedPointerInInternalField(0, d);
  d->holder.Reset(isolate, obj);
  d->holder.SetWeak(
      d,
      [](const v8::WeakCallbackInfo<IcuDecoder>& info) {
        IcuDecoder* dec = info.GetParameter();
        dec->holder.Reset();
        dec->web->decoders.erase(dec);
        ucnv_close(dec->conv);
        delete dec;
      },
      v8::WeakCallbackType::kParameter);
  web->decoders.insert(d);
  args.GetReturnValue().Set(obj);
}

// host.icuDecode(handle, bytes, flush, fatal) -> string, or null on malformed input when fatal.
// Each malformed sequence becomes one U+FFFD otherwise.
void IcuDecode(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (args.Length() < 4 || !args[0]->IsObject() ||
      args[0].As<v8::Object>()->InternalFieldCount() != 1 || !view_bytes(args[1], data, size))
    return throw_type_error(isolate, "icuDecode: expected (handle, bytes, flush, fatal)");
  auto* d =
      static_cast<IcuDecoder*>(args[0].As<v8::Object>()->GetAlignedPointerFromInternalField(0));
  bool flush = args[2]->IsTrue();
  bool fatal = args[3]->IsTrue();
  const char* src = reinterpret_cast<const char*>(data);
  const char* end = src + size;
  std::u16string out;
  out.reserve(size);
  UChar buf[4096];
  int stuck = 0;
  for (;;) {
    UChar* target = buf;
    UErrorCode err = U_ZERO_ERROR;
    const char* before = src;
    ucnv_toUnicode(d->conv, &target, buf + 4096, &src, end, nullptr, flush, &err);
    out.append(reinterpret_cast<char16_t*>(buf), static_cast<std::size_t>(target - buf));
    if (err == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_FAILURE(err)) {
      if (fatal) {
        ucnv_resetToUnicode(d->conv);
        args.GetReturnValue().SetNull();
        return;
      }
      out.push_back(u'\uFFFD');
      // ICU consumes the bytes it reports; never spin if it did not.
      if (src == before && target == buf && ++stuck > 1) break;
      continue;
    }
    break;
  }
  if (flush) ucnv_resetToUnicode(d->conv);
  v8::Local<v8::String> str;
  if (!v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(out.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(out.size()))
           .ToLocal(&str))
    return;
  args.GetReturnValue().Set(str);
}

// host.setErrorHook(fn): fn(type, value, promise) dispatches the loop's error events on
// globalThis (js/global.js) and returns true when one was cancelled.
void SetErrorHook(const v8::FunctionCallbackInfo<v8::Value>& args) {
  if (args.Length() < 1 || !args[0]->IsFunction())
    return throw_type_error(args.GetIsolate(), "setErrorHook: expected a function");
  state(args)->loop.set_error_hook(args[0].As<v8::Function>());
}

// host.reportUncaught(error): reportError() whose event nobody cancelled ends the module, as
// an uncaught exception would.
void ReportUncaught(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  auto error = args.Length() > 0 ? args[0] : v8::Undefined(isolate).As<v8::Value>();
  auto context = isolate->GetCurrentContext();
  state(args)->loop.end(Loop::Failure{describe_exception(
      isolate, context, error, v8::Exception::CreateMessage(isolate, error), "Uncaught ")});
}

}  // namespace

void install_web_apis(v8::Local<v8::Context> context, v8::Local<v8::Object> host) {
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto* isolate = context->GetIsolate();
  auto& loop = Loop::from(isolate);
  auto* web = new WebState(loop);
  loop.on_close([web] {
    web->fetch.shutdown();
    delete web;
  });
  auto data = v8::External::New(isolate, web);
  set_method(context, host, "randomFill", RandomFill, data);
  set_method(context, host, "digest", Digest, data);
  set_method(context, host, "now", Now, data);
  set_method(context, host, "timeOrigin", TimeOrigin, data);
  set_method(context, host, "utf8Encode", Utf8Encode, data);
  set_method(context, host, "weakTimer", WeakTimerStart, data);
  set_method(context, host, "fetchStart", FetchStart, data);
  set_method(context, host, "fetchResume", FetchResume, data);
  set_method(context, host, "fetchWrite", FetchWrite, data);
  set_method(context, host, "fetchAbort", FetchAbort, data);
  set_method(context, host, "setErrorHook", SetErrorHook, data);
  set_method(context, host, "reportUncaught", ReportUncaught, data);
  set_method(context, host, "icuDecoderOpen", IcuDecoderOpen, data);
  set_method(context, host, "icuDecode", IcuDecode, data);
  web::install_subtle(context, host);
  web::install_zlib(context, host);
  discard(host->Set(
      context, to_v8(isolate, "hardwareConcurrency"),
      v8::Integer::NewFromUnsigned(isolate, std::max(1u, std::thread::hardware_concurrency()))));
}

}  // namespace zinnia::engine
