// The web APIs as extensions: events (DOMException, AbortSignal's weak timer), url, streams,
// encoding (a fast UTF-8 encoder), crypto (OpenSSL; the performance clock) and fetch
// (fetch.cc). The JS halves live in engine/web/js/.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"
#include "engine/web/fetch.h"
#include "engine/web/formdata.h"
#include "engine/web/icu_decoder.h"
#include "engine/web/idna.h"
#include "engine/web/ipfs_fetch.h"
#include "engine/web/web.h"

namespace zinnia::engine {
namespace {

// --- events: AbortSignal.timeout's timer, which does not keep the module alive -------------
struct EventsState;

struct WeakTimer {
  uv_timer_t handle;
  EventsState* events;
  v8::Global<v8::Function> callback;
};

struct EventsState {
  explicit EventsState(v8::Local<v8::Context> context) : loop(Loop::from(context->GetIsolate())) {}
  ~EventsState() {
    for (auto* t : timers) {
      t->callback.Reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&t->handle),
               [](uv_handle_t* h) { delete reinterpret_cast<WeakTimer*>(h); });
    }
  }
  EventsState(const EventsState&) = delete;
  EventsState& operator=(const EventsState&) = delete;
  Loop& loop;
  std::unordered_set<WeakTimer*> timers;
};

// host.weakTimer(ms, fn): calls fn once after ms unless the module has ended by then.
void weak_timer(bind::Call& call, EventsState& events, double ms, v8::Local<v8::Function> fn) {
  auto* t = new WeakTimer{};
  t->events = &events;
  t->callback.Reset(call.isolate(), fn);
  uv_timer_init(events.loop.uv(), &t->handle);
  t->handle.data = t;
  uv_unref(reinterpret_cast<uv_handle_t*>(&t->handle));
  events.timers.insert(t);
  uv_timer_start(
      &t->handle,
      [](uv_timer_t* h) {
        auto* timer = static_cast<WeakTimer*>(h->data);
        EventsState* e = timer->events;
        e->timers.erase(timer);
        Loop& loop = e->loop;
        loop.run([&] {
          auto* iso = loop.isolate();
          auto callback = timer->callback.Get(iso);
          timer->callback.Reset();
          loop.call(callback, v8::Undefined(iso), 0, nullptr);
        });
        uv_close(reinterpret_cast<uv_handle_t*>(h),
                 [](uv_handle_t* handle) { delete reinterpret_cast<WeakTimer*>(handle); });
      },
      static_cast<std::uint64_t>(std::max(0.0, ms)), 0);
}

// host.setErrorHook(fn): fn(type, value, promise) dispatches the loop's error events on
// globalThis (js/global.js) and returns true when one was cancelled.
void set_error_hook(EventsState& events, v8::Local<v8::Function> hook) {
  events.loop.set_error_hook(hook);
}

// host.reportUncaught(error): reportError() whose event nobody cancelled ends the module, as
// an uncaught exception would.
void report_uncaught(bind::Call& call, EventsState& events, v8::Local<v8::Value> error) {
  events.loop.end(Loop::Failure{
      describe_exception(call.isolate(), call.context(), error,
                         v8::Exception::CreateMessage(call.isolate(), error), "Uncaught ")});
}

// --- encoding --------------------------------------------------------------------------------
// host.utf8Encode(string) -> Uint8Array; lone surrogates become U+FFFD.
v8::Local<v8::Uint8Array> utf8_encode(bind::Call& call, v8::Local<v8::String> str) {
  auto* isolate = call.isolate();
  int len = str->Utf8Length(isolate);
  auto store = host_backing_store(isolate, static_cast<std::size_t>(len));
  if (len > 0)
    str->WriteUtf8(isolate, static_cast<char*>(store->Data()), len, nullptr,
                   v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  auto buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return v8::Uint8Array::New(buffer, 0, static_cast<std::size_t>(len));
}

// Legacy TextDecoder encodings (js/legacy_encoding.js): one ICU converter per decoder, freed
// when the decoder is collected or the module ends.
struct EncodingState;
struct IcuDecoder {
  UConverter* conv = nullptr;
  EncodingState* state = nullptr;
  v8::Global<v8::Object> holder;
};
struct EncodingState {
  explicit EncodingState(v8::Local<v8::Context>) {}
  EncodingState(const EncodingState&) = delete;
  EncodingState& operator=(const EncodingState&) = delete;
  ~EncodingState() {
    for (auto* d : decoders) {
      d->holder.Reset();
      ucnv_close(d->conv);
      delete d;
    }
    decoder_template.Reset();
  }
  std::unordered_set<IcuDecoder*> decoders;
  v8::Global<v8::ObjectTemplate> decoder_template;
};

// host.icuDecoderOpen(icuName) -> handle.
v8::Local<v8::Object> icu_decoder_open(bind::Call& call, EncodingState& enc,
                                       const std::string& name) {
  auto* isolate = call.isolate();
  std::string error;
  UConverter* conv = web::icu_open_decoder(name, &error);
  if (!conv)
    throw bind::RangeError("TextDecoder: ICU has no converter " + name + " (" + error + ")");
  if (enc.decoder_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    enc.decoder_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!enc.decoder_template.Get(isolate)->NewInstance(call.context()).ToLocal(&obj)) {
    ucnv_close(conv);
    throw bind::Pending();
  }
  auto* d = new IcuDecoder{conv, &enc, {}};
  obj->SetAlignedPointerInInternalField(0, d);
  d->holder.Reset(isolate, obj);
  d->holder.SetWeak(
      d,
      [](const v8::WeakCallbackInfo<IcuDecoder>& info) {
        IcuDecoder* dec = info.GetParameter();
        dec->holder.Reset();
        dec->state->decoders.erase(dec);
        ucnv_close(dec->conv);
        delete dec;
      },
      v8::WeakCallbackType::kParameter);
  enc.decoders.insert(d);
  return obj;
}

// host.icuDecode(handle, bytes, flush, fatal) -> string, or null on malformed input when fatal.
// Each malformed sequence becomes one U+FFFD otherwise.
v8::Local<v8::Value> icu_decode(bind::Call& call, EncodingState&, v8::Local<v8::Object> handle,
                                bind::Bytes bytes, bool flush, bool fatal) {
  auto* isolate = call.isolate();
  if (handle->InternalFieldCount() != 1) throw bind::TypeError("icuDecode: not a decoder handle");
  auto* d = static_cast<IcuDecoder*>(handle->GetAlignedPointerFromInternalField(0));
  std::u16string out;
  if (!web::icu_decode(d->conv, reinterpret_cast<const char*>(bytes.data), bytes.size, flush, fatal,
                       out))
    return v8::Null(isolate);
  return bind::utf16_string(isolate, out);
}

// --- url ------------------------------------------------------------------------------------
// host.domainToASCII(domain) -> the ASCII domain, or undefined where the URL Standard's
// domain to ASCII fails (idna.h).
std::optional<std::string> domain_to_ascii(const bind::UTF16String& domain) {
  try {
    return web::domain_to_ascii(domain.value);
  } catch (const std::exception& e) {
    throw bind::Error(e.what());
  }
}

// --- crypto and the performance clock ----------------------------------------------------------
struct ClockState {
  explicit ClockState(v8::Local<v8::Context>) {}
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
  double origin_epoch_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) /
      1000.0;
};

// host.randomFill(view): fills in place from OpenSSL's CSPRNG.
void random_fill(bind::Bytes bytes) {
  if (bytes.size > 0 && RAND_bytes(bytes.data, static_cast<int>(bytes.size)) != 1)
    throw bind::Error("randomFill: RAND_bytes failed");
}

// host.digest("SHA256", bytes) -> ArrayBuffer.
v8::Local<v8::ArrayBuffer> digest(bind::Call& call, const bind::DOMString& name,
                                  bind::Bytes bytes) {
  const std::string& n = name.value;
  const EVP_MD* md = n == "SHA1"     ? EVP_sha1()
                     : n == "SHA256" ? EVP_sha256()
                     : n == "SHA384" ? EVP_sha384()
                     : n == "SHA512" ? EVP_sha512()
                                     : nullptr;
  if (!md) throw bind::TypeError("digest: unsupported algorithm " + n);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data, bytes.size, out, &len, md, nullptr) != 1)
    throw bind::Error("digest: EVP_Digest failed");
  auto store = host_backing_store(call.isolate(), len);
  std::memcpy(store->Data(), out, len);
  return v8::ArrayBuffer::New(call.isolate(), std::move(store));
}

// host.now(): monotonic milliseconds (with fractions) since the module's time origin
// (performance.now, console.time, zinnia:test durations).
double now(ClockState& clock) {
  auto elapsed = std::chrono::steady_clock::now() - clock.origin;
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
         1e6;
}
double time_origin(ClockState& clock) { return clock.origin_epoch_ms; }

// --- fetch -----------------------------------------------------------------------------------
struct FetchState {
  explicit FetchState(v8::Local<v8::Context> context)
      : client(Loop::from(context->GetIsolate())), ipfs(Loop::from(context->GetIsolate())) {}
  ~FetchState() {
    ipfs.shutdown();
    client.shutdown();
  }
  FetchState(const FetchState&) = delete;
  FetchState& operator=(const FetchState&) = delete;
  web::FetchClient client;
  web::IpfsFetch ipfs;  // fetch("ipfs://...") (docs/ipfs.md)
};

// host.fetchStart(method, url, [name, value, ...], body: view|null|true, follow, onEvent)
// -> id; body `true`: a streamed body, pulled with onEvent(NEED_BODY) and given with fetchWrite.
std::optional<std::uint32_t> fetch_start(bind::Call& call, FetchState& fetch,
                                         bind::DOMString method, bind::DOMString url,
                                         v8::Local<v8::Array> pairs, v8::Local<v8::Value> body,
                                         bool follow, v8::Local<v8::Function> on_event) {
  auto* isolate = call.isolate();
  auto context = call.context();
  web::FetchClient::Request req;
  req.method = std::move(method.value);
  req.url = std::move(url.value);
  for (uint32_t i = 0; i + 1 < pairs->Length(); i += 2) {
    v8::Local<v8::Value> name, value;
    if (!pairs->Get(context, i).ToLocal(&name) || !pairs->Get(context, i + 1).ToLocal(&value))
      throw bind::Pending();
    req.headers.emplace_back(to_utf8(isolate, name), to_utf8(isolate, value));
  }
  bind::Bytes bytes;
  if (bind::Convert<bind::Bytes>::from(call, body, bytes) == bind::Got::kOk) {
    req.has_body = true;
    req.body.assign(bytes.data, bytes.data + bytes.size);
  }
  if (body->IsTrue()) req.stream_body = true;  // chunks follow through fetchWrite
  req.follow_redirects = follow;
  auto id = fetch.client.start(std::move(req), on_event);
  if (id == 0) return std::nullopt;  // a JS exception is pending
  return id;
}

void fetch_resume(FetchState& fetch, std::uint32_t id) { fetch.client.resume(id); }

// host.fetchWrite(id, chunk: view | null): the next streamed body chunk; null ends it.
void fetch_write(FetchState& fetch, std::uint32_t id, std::optional<bind::Bytes> chunk) {
  if (chunk)
    fetch.client.write_body(id, chunk->data, chunk->size, false);
  else
    fetch.client.write_body(id, nullptr, 0, true);
}

void fetch_abort(FetchState& fetch, std::uint32_t id) { fetch.client.abort(id); }

// host.ipfsStart(url, onEvent) -> id: a verified CAR retrieval (docs/ipfs.md), its events as
// fetchStart's; host.ipfsResume(id), host.ipfsAbort(id).
std::uint32_t ipfs_start(FetchState& fetch, const bind::DOMString& url,
                         v8::Local<v8::Function> on_event) {
  return fetch.ipfs.start(url.value, on_event);
}
void ipfs_resume(FetchState& fetch, std::uint32_t id) { fetch.ipfs.resume(id); }
void ipfs_abort(FetchState& fetch, std::uint32_t id) { fetch.ipfs.abort(id); }

}  // namespace

const bind::Extension& events_extension() {
  static const bind::Extension ext = bind::with_state<EventsState>({
      .name = "events",
      .js = {"engine/web/js/events.js", "engine/web/js/global.js", "engine/web/js/lazy.js"},
      .natives = {bind::native<"weakTimer", &weak_timer>(),
                  bind::native<"setErrorHook", &set_error_hook>(),
                  bind::native<"reportUncaught", &report_uncaught>()},
      .values =
          [](v8::Local<v8::Context> context, void*,
             const std::function<void(std::string_view, v8::Local<v8::Value>)>& set) {
            set("hardwareConcurrency",
                v8::Integer::NewFromUnsigned(context->GetIsolate(),
                                             std::max(1u, std::thread::hardware_concurrency())));
          },
  });
  return ext;
}

const bind::Extension& url_extension() {
  static const bind::Extension ext{
      .name = "url",
      .js = {"engine/web/js/url.js", "engine/web/npm/node_modules/.zinnia/urlpattern_polyfill.js",
             "engine/web/js/urlpattern.js"},
      .natives = {bind::native<"domainToASCII", &domain_to_ascii>()}};
  return ext;
}

const bind::Extension& streams_extension() {
  static const bind::Extension ext{.name = "streams",
                                   .js = {"engine/web/npm/node_modules/.zinnia/streams_polyfill.js",
                                          "engine/web/js/streams.js"}};
  return ext;
}

// host.singleByteDecode(table, bytes, fatal) -> string, or null on an unmapped byte when fatal.
// `table`: a Uint16Array of 128 code units for the bytes 0x80-0xFF (legacy_encoding.js).
v8::Local<v8::Value> single_byte_decode(bind::Call& call, EncodingState&, bind::Bytes table,
                                        bind::Bytes bytes, bool fatal) {
  auto* isolate = call.isolate();
  if (table.size != 256)
    throw bind::TypeError("singleByteDecode: the table must be 128 code units");
  char16_t units[128];
  std::memcpy(units, table.data, sizeof units);
  std::u16string out;
  if (!web::single_byte_decode(units, bytes.data, bytes.size, fatal, out)) return v8::Null(isolate);
  return bind::utf16_string(isolate, out);
}

const bind::Extension& encoding_extension() {
  static const bind::Extension ext = bind::with_state<EncodingState>({
      .name = "encoding",
      .js = {"engine/web/js/encoding.js", "engine/web/js/legacy_encoding.js"},
      .natives = {bind::native<"utf8Encode", &utf8_encode>(),
                  bind::native<"icuDecoderOpen", &icu_decoder_open>(),
                  bind::native<"icuDecode", &icu_decode>(),
                  bind::native<"singleByteDecode", &single_byte_decode>()},
  });
  return ext;
}

const bind::Extension& file_extension() {
  static const bind::Extension ext{
      .name = "file",
      .js = {"engine/web/js/blob.js", "engine/web/js/formdata.js"},
      .natives = {bind::native<"multipartParse", &web::multipart_parse>()}};
  return ext;
}

const bind::Extension& crypto_extension() {
  static const bind::Extension ext = bind::with_state<ClockState>({
      .name = "crypto",
      .js = {"engine/web/js/crypto.js", "engine/web/js/performance.js"},
      .natives = {bind::native<"randomFill", &random_fill>(), bind::native<"digest", &digest>(),
                  bind::native<"now", &now>(), bind::native<"timeOrigin", &time_origin>()},
  });
  return ext;
}

const bind::Extension& fetch_extension() {
  static const bind::Extension ext = bind::with_state<FetchState>({
      .name = "fetch",
      .js = {"engine/web/js/fetch.js"},
      .natives =
          {bind::native<"fetchStart", &fetch_start>(), bind::native<"fetchResume", &fetch_resume>(),
           bind::native<"fetchWrite", &fetch_write>(), bind::native<"fetchAbort", &fetch_abort>(),
           bind::native<"ipfsStart", &ipfs_start>(), bind::native<"ipfsResume", &ipfs_resume>(),
           bind::native<"ipfsAbort", &ipfs_abort>()},
      .constants = {{"fetchEvent", web::fetch_event_constants()}},
  });
  return ext;
}

}  // namespace zinnia::engine
