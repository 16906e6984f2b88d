#include "engine/web/fetch.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "engine/loop/loop.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"

namespace zinnia::engine::web {

namespace {
struct EventName {
  FetchEvent event;
  std::string_view name;
};
constexpr EventName kEventNames[] = {{FetchEvent::kHeaders, "HEADERS"},
                                     {FetchEvent::kData, "DATA"},
                                     {FetchEvent::kEnd, "END"},
                                     {FetchEvent::kError, "ERROR"},
                                     {FetchEvent::kNeedBody, "NEED_BODY"}};
static_assert(std::size(kEventNames) == static_cast<std::size_t>(FetchEvent::kCount),
              "every FetchEvent is exported to JS");
constexpr bool events_in_order() {
  for (std::size_t i = 0; i < std::size(kEventNames); ++i)
    if (static_cast<std::size_t>(kEventNames[i].event) != i) return false;
  return true;
}
static_assert(events_in_order());

}  // namespace

v8::Local<v8::Integer> event(v8::Isolate* isolate, FetchEvent kind) {
  return v8::Integer::New(isolate, static_cast<int>(kind));
}

v8::Local<v8::Uint8Array> host_bytes(v8::Isolate* isolate, const void* data, std::size_t size) {
  auto store = host_backing_store(isolate, size);
  if (size) std::memcpy(store->Data(), data, size);
  auto buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return v8::Uint8Array::New(buffer, 0, size);
}

std::vector<bind::Constant> fetch_event_constants() {
  std::vector<bind::Constant> out;
  for (const auto& e : kEventNames) out.push_back({e.name, static_cast<double>(e.event)});
  return out;
}

struct Transfer {
  FetchClient* client = nullptr;
  std::uint32_t id = 0;
  curl::Easy easy;
  curl::Slist headers;
  std::vector<std::uint8_t> body;
  // Streamed request body: bytes given by JS not yet read by curl.
  bool stream_body = false;
  std::vector<std::uint8_t> upload;
  std::size_t upload_offset = 0;
  bool upload_end = false;
  bool upload_asked = false;   // JS was asked for the next chunk
  bool upload_paused = false;  // we returned CURL_READFUNC_PAUSE
  v8::Global<v8::Function> on_event;
  Loop::Ref ref;  // an in-flight fetch keeps the module alive
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string status_text;
  bool headers_sent = false;
  bool js_full = false;      // the JS stream's queue is full: pause on the next write
  bool curl_paused = false;  // we returned CURL_WRITEFUNC_PAUSE
  bool added = false;        // in the multi handle
  // Done without error and without an OS error: curl_easy_reset keeps CURLINFO_OS_ERRNO, and
  // a later failure must not read an earlier one's errno.
  bool reusable = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    on_event.Reset();
    curl::CurlLoop& loop = *client->curl_;
    if (added) {
      loop.remove(easy.get());  // aborted midway (perhaps paused): not reused
      return;
    }
    if (!reusable) return;  // freed: it would keep this failure's OS errno
    // A finished transfer's handle (reset) and its connection serve the module's next fetch.
    loop.recycle(std::move(easy));
  }
};

namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

size_t on_header(char* data, size_t size, size_t count, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * count;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 1xx): start over.
    t->response_headers.clear();
    t->status_text.clear();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      auto sp2 = line.find(' ', sp + 1);
      if (sp2 != std::string_view::npos) t->status_text = trim(line.substr(sp2 + 1));
    }
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;
  t->response_headers.emplace_back(std::string(line.substr(0, colon)),
                                   trim(line.substr(colon + 1)));
  return len;
}

}  // namespace

FetchClient::FetchClient(Loop& loop) : loop_(loop) {}

FetchClient::~FetchClient() { shutdown(); }

curl::CurlLoop& FetchClient::curl_loop() {
  if (shut_down_) throw std::runtime_error("the module is ending");
  if (!curl_) {
    auto c = std::make_unique<curl::CurlLoop>(loop_.uv());  // loads libcurl: may throw
    // Each entry from libuv is a turn of the module; a Loop::Ref per transfer keeps it alive.
    c->set_turn([this](const std::function<void()>& fn) { loop_.run(fn); });
    c->set_keep_alive(false);
    curl_ = std::move(c);
  }
  return *curl_;
}

std::uint32_t FetchClient::start(Request request, v8::Local<v8::Function> on_event) {
  auto* isolate = loop_.isolate();
  curl::CurlLoop* driver = nullptr;
  try {
    driver = &curl_loop();
  } catch (const std::exception& e) {
    throw_type_error(isolate, std::string("fetch failed: ") + e.what());
    return 0;
  }
  auto t = std::make_unique<Transfer>();
  t->client = this;
  t->id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  t->easy = driver->take_easy();
  if (!t->easy) {
    throw_type_error(isolate, "fetch failed: curl_easy_init failed");
    return 0;
  }
  CURL* e = t->easy.get();
  const curl::Lib& lib = curl::lib();
  lib.easy_setopt(e, CURLOPT_URL, request.url.c_str());
  lib.easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  lib.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  lib.easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  lib.easy_setopt(e, CURLOPT_WRITEFUNCTION, &FetchClient::on_write);
  lib.easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  lib.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30'000L);
  lib.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  lib.easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (request.follow_redirects) {
    lib.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(e, CURLOPT_MAXREDIRS, 20L);
  }

  bool has_content_type = false, has_accept_encoding = false;
  curl_slist* list = nullptr;
  std::string line;
  auto append = [&](const std::string& text) {
    if (auto* next = lib.slist_append(list, text.c_str())) list = next;
  };
  for (auto& [name, value] : request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "content-type") has_content_type = true;
    if (lower == "accept-encoding") has_accept_encoding = true;
    if (lower == "content-length" || lower == "host" || lower == "transfer-encoding") continue;
    // "Name;" is how curl sends a header with an empty value.
    line.assign(name);
    if (value.empty()) {
      line += ';';
    } else {
      line += ": ";
      line += value;
    }
    append(line);
  }
  const std::string& m = request.method;
  // Whether curl sends a body (the branches below): only then would it add an Expect or a
  // Content-Type of its own. A GET's list stays as JS gave it (curl scans the list once per
  // header it may add, so two entries fewer are measurably cheaper per request).
  const bool sends_body =
      request.stream_body || (m != "HEAD" && (m != "GET" || request.has_body) &&
                              (request.has_body || m == "POST" || m == "PUT" || m == "PATCH"));
  if (sends_body) {
    append("Expect:");                               // no 100-continue round trip
    if (!has_content_type) append("Content-Type:");  // no curl default for POSTFIELDS
  }
  t->headers.reset(list);
  lib.easy_setopt(e, CURLOPT_HTTPHEADER, list);
  if (!has_accept_encoding) lib.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");

  if (request.stream_body) {
    // Chunked upload pulled from the JS stream (CURLOPT_READFUNCTION with pause/unpause).
    t->stream_body = true;
    lib.easy_setopt(e, CURLOPT_POST, 1L);
    if (m != "POST") lib.easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    lib.easy_setopt(e, CURLOPT_READFUNCTION, &FetchClient::on_read);
    lib.easy_setopt(e, CURLOPT_READDATA, t.get());
    lib.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  } else if (m == "HEAD") {
    lib.easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (m != "GET" || request.has_body) {
    if (m != "POST") lib.easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    if (request.has_body || m == "POST" || m == "PUT" || m == "PATCH") {
      t->body = std::move(request.body);
      lib.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
      lib.easy_setopt(e, CURLOPT_POSTFIELDS,
                      t->body.empty() ? "" : reinterpret_cast<const char*>(t->body.data()));
    }
  }

  t->on_event.Reset(isolate, on_event);
  t->ref = loop_.ref();
  Transfer* raw = t.get();
  std::uint32_t id = t->id;
  if (!driver->add(e, [this, raw, id](CURLcode rc) {
        raw->added = false;  // the driver took it out of the multi handle
        long os_errno = 0;
        curl::easy_getinfo(raw->easy.get(), CURLINFO_OS_ERRNO, &os_errno);
        raw->reusable = rc == CURLE_OK && os_errno == 0;
        finish(*raw, rc);  // JS may start new transfers here
        remove(id);
      })) {
    throw_type_error(isolate, "fetch failed: curl refused the transfer");
    return 0;
  }
  t->added = true;
  transfers_.emplace(id, std::move(t));
  return id;
}

void FetchClient::resume(std::uint32_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  t.js_full = false;
  t.ref = loop_.ref();
  if (t.curl_paused) curl_->defer([this, id] { run_resume(id); });
}

void FetchClient::write_body(std::uint32_t id, const std::uint8_t* data, std::size_t size,
                             bool end) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  t.upload_asked = false;
  if (t.upload_offset == t.upload.size()) {
    t.upload.clear();
    t.upload_offset = 0;
  }
  t.upload.insert(t.upload.end(), data, data + size);
  if (end) t.upload_end = true;
  if (t.upload_paused) curl_->defer([this, id] { run_upload(id); });
}

size_t FetchClient::on_read(char* buffer, size_t size, size_t count, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  return t->client->read(*t, buffer, size * count);
}

size_t FetchClient::read(Transfer& t, char* buffer, size_t len) {
  if (t.on_event.IsEmpty()) return CURL_READFUNC_ABORT;
  std::size_t available = t.upload.size() - t.upload_offset;
  if (available > 0) {
    std::size_t n = std::min(available, len);
    std::memcpy(buffer, t.upload.data() + t.upload_offset, n);
    t.upload_offset += n;
    return n;
  }
  if (t.upload_end) return 0;
  if (!t.upload_asked) {
    t.upload_asked = true;
    auto* isolate = loop_.isolate();
    v8::HandleScope scope(isolate);
    v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kNeedBody)};
    if (!emit(t, 1, argv)) return CURL_READFUNC_ABORT;
    // JS may have answered synchronously (it never does today, but stay correct).
    if (t.upload.size() > t.upload_offset || t.upload_end) return read(t, buffer, len);
  }
  t.upload_paused = true;
  return CURL_READFUNC_PAUSE;
}

void FetchClient::abort(std::uint32_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  // No more events for it; the handle is removed outside of curl's callbacks.
  it->second->on_event.Reset();
  curl_->defer([this, id] { remove(id); });
}

void FetchClient::run_upload(std::uint32_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  if (!t.upload_paused) return;
  t.upload_paused = false;
  // Keep the receiving side paused if JS is not reading.
  curl::easy_pause(t.easy.get(), t.curl_paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
}

void FetchClient::run_resume(std::uint32_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  if (!t.curl_paused || t.js_full) return;
  t.curl_paused = false;
  // May deliver the held chunk at once (on_write runs inside).
  curl::easy_pause(t.easy.get(), t.upload_paused ? CURLPAUSE_SEND : CURLPAUSE_CONT);
}

void FetchClient::remove(std::uint32_t id) { transfers_.erase(id); }

size_t FetchClient::on_write(char* data, size_t size, size_t count, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  return t->client->write(*t, data, size * count);
}

size_t FetchClient::write(Transfer& t, const char* data, size_t len) {
  if (t.on_event.IsEmpty()) return 0;  // aborted: fail the transfer
  if (t.js_full) {
    // Backpressure: curl keeps this chunk and offers it again after curl_easy_pause(CONT).
    t.curl_paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  if (!t.headers_sent) {
    send_headers(t);
    if (t.on_event.IsEmpty()) return 0;
  }
  v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kData), host_bytes(isolate, data, len)};
  v8::Local<v8::Function> fn = t.on_event.Get(isolate);
  v8::Local<v8::Value> more;
  if (!fn->Call(loop_.context(), v8::Undefined(isolate), 2, argv).ToLocal(&more)) return 0;
  if (!more->IsTrue()) {
    t.js_full = true;
    // Only JS reading can resume a paused body: an unread body does not keep the module alive.
    t.ref.reset();
  }
  return len;
}

bool FetchClient::emit(Transfer& t, int argc, v8::Local<v8::Value>* argv) {
  if (t.on_event.IsEmpty()) return false;
  auto* isolate = loop_.isolate();
  v8::Local<v8::Function> fn = t.on_event.Get(isolate);
  v8::Local<v8::Value> result;
  return fn->Call(loop_.context(), v8::Undefined(isolate), argc, argv).ToLocal(&result);
}

void FetchClient::send_headers(Transfer& t) {
  t.headers_sent = true;
  auto* isolate = loop_.isolate();
  auto context = loop_.context();
  v8::HandleScope scope(isolate);
  long status = 0, redirects = 0;
  char* url = nullptr;
  curl::easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  curl::easy_getinfo(t.easy.get(), CURLINFO_REDIRECT_COUNT, &redirects);
  curl::easy_getinfo(t.easy.get(), CURLINFO_EFFECTIVE_URL, &url);
  auto pairs = v8::Array::New(isolate, static_cast<int>(t.response_headers.size() * 2));
  uint32_t i = 0;
  for (auto& [name, value] : t.response_headers) {
    pairs->Set(context, i++, to_v8(isolate, name)).Check();
    pairs->Set(context, i++, to_v8(isolate, value)).Check();
  }
  v8::Local<v8::Value> argv[] = {
      event(isolate, FetchEvent::kHeaders), v8::Integer::New(isolate, static_cast<int>(status)),
      to_v8(isolate, t.status_text),        pairs,
      to_v8(isolate, url ? url : ""),       v8::Boolean::New(isolate, redirects > 0)};
  emit(t, 6, argv);
}

void FetchClient::finish(Transfer& t, CURLcode result) {
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  if (result == CURLE_OK) {
    if (!t.headers_sent) send_headers(t);
    v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kEnd)};
    emit(t, 1, argv);
  } else {
    std::string reason = t.errbuf[0] ? t.errbuf : curl::easy_strerror(result);
    // The OS error lets JS word the failure as Zinnia's fetch did ("... (os error 111)").
    long os_errno = 0;
    curl::easy_getinfo(t.easy.get(), CURLINFO_OS_ERRNO, &os_errno);
    v8::Local<v8::Value> argv[] = {
        event(isolate, FetchEvent::kError),
        to_v8(isolate, reason),
        to_v8(isolate, "CURLE_" + std::to_string(result)),
        v8::Integer::New(isolate, static_cast<int>(result)),
        v8::Integer::New(isolate, static_cast<int>(os_errno)),
        to_v8(isolate,
              os_errno ? std::generic_category().message(static_cast<int>(os_errno)) : "")};
    emit(t, 6, argv);
  }
}

void FetchClient::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  transfers_.clear();            // removes every easy handle, resets the Globals
  if (curl_) curl_->shutdown();  // closes the cached connections and the uv handles
}

}  // namespace zinnia::engine::web
