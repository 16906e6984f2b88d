#include "engine/web/fetch.h"

#include <algorithm>
#include <cstring>

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

v8::Local<v8::Integer> event(v8::Isolate* isolate, FetchEvent kind) {
  return v8::Integer::New(isolate, static_cast<int>(kind));
}
}  // namespace

std::vector<bind::Constant> fetch_event_constants() {
  std::vector<bind::Constant> out;
  for (const auto& e : kEventNames) out.push_back({e.name, static_cast<double>(e.event)});
  return out;
}

struct Transfer {
  FetchClient* client = nullptr;
  std::uint32_t id = 0;
  CurlEasy easy;
  CurlSlist headers;
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
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (added) curl_multi_remove_handle(client->multi_.get(), easy.get());
    on_event.Reset();
  }
};

namespace {

// One watched socket: a uv_poll, freed by its close callback.
struct Socket {
  uv_poll_t poll;
  FetchClient* client;
  curl_socket_t fd;
};

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

bool FetchClient::ensure_multi() {
  if (multi_) return true;
  multi_.reset(curl_multi_init());
  if (!multi_) return false;
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &FetchClient::on_socket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &FetchClient::on_timer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  // A module's fd budget for fetch: transfers past it wait in curl for a connection instead
  // of each opening a socket (3,000 fetches at once took every fd of the process).
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, kMaxConnectionsPerModule);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_.uv(), timer_);
  timer_->data = this;
  // Transfers hold a Loop::Ref; curl's own timer (connection upkeep) must not keep the
  // module alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  kick_ = new uv_timer_t;
  uv_timer_init(loop_.uv(), kick_);
  kick_->data = this;
  return true;
}

std::uint32_t FetchClient::start(Request request, v8::Local<v8::Function> on_event) {
  auto* isolate = loop_.isolate();
  if (shut_down_ || !ensure_multi()) {
    throw_type_error(isolate, "fetch failed: the HTTP client is not available");
    return 0;
  }
  auto t = std::make_unique<Transfer>();
  t->client = this;
  t->id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  t->easy.reset(curl_easy_init());
  if (!t->easy) {
    throw_type_error(isolate, "fetch failed: curl_easy_init failed");
    return 0;
  }
  CURL* e = t->easy.get();
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &FetchClient::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30'000L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (request.follow_redirects) {
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 20L);
  }

  bool has_content_type = false, has_accept_encoding = false;
  curl_slist* list = nullptr;
  auto append = [&](const std::string& line) {
    if (auto* next = curl_slist_append(list, line.c_str())) list = next;
  };
  for (auto& [name, value] : request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "content-type") has_content_type = true;
    if (lower == "accept-encoding") has_accept_encoding = true;
    if (lower == "content-length" || lower == "host" || lower == "transfer-encoding") continue;
    // "Name;" is how curl sends a header with an empty value.
    append(value.empty() ? name + ";" : name + ": " + value);
  }
  append("Expect:");                               // no 100-continue round trip
  if (!has_content_type) append("Content-Type:");  // no curl default for POSTFIELDS
  t->headers.reset(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  if (!has_accept_encoding) curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");

  const std::string& m = request.method;
  if (request.stream_body) {
    // Chunked upload pulled from the JS stream (CURLOPT_READFUNCTION with pause/unpause).
    t->stream_body = true;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    curl_easy_setopt(e, CURLOPT_READFUNCTION, &FetchClient::on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, t.get());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  } else if (m == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (m != "GET" || request.has_body) {
    if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    if (request.has_body || m == "POST" || m == "PUT" || m == "PATCH") {
      t->body = std::move(request.body);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS,
                       t->body.empty() ? "" : reinterpret_cast<const char*>(t->body.data()));
    }
  }

  t->on_event.Reset(isolate, on_event);
  t->ref = loop_.ref();
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), e); rc != CURLM_OK) {
    throw_type_error(isolate, std::string("fetch failed: ") + curl_multi_strerror(rc));
    return 0;
  }
  t->added = true;
  std::uint32_t id = t->id;
  transfers_.emplace(id, std::move(t));
  return id;
}

void FetchClient::resume(std::uint32_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  t.js_full = false;
  t.ref = loop_.ref();
  if (t.curl_paused) {
    pending_resume_.push_back(id);
    schedule_kick();
  }
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
  if (t.upload_paused) {
    pending_upload_.push_back(id);
    schedule_kick();
  }
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
  pending_abort_.push_back(id);
  schedule_kick();
}

void FetchClient::schedule_kick() {
  if (kick_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(kick_))) {
    uv_timer_start(
        kick_,
        [](uv_timer_t* h) {
          auto* self = static_cast<FetchClient*>(h->data);
          self->loop_.run([self] { self->run_kick(); });
        },
        0, 0);
  }
}

void FetchClient::run_kick() {
  auto aborts = std::move(pending_abort_);
  pending_abort_.clear();
  for (auto id : aborts) remove(id);
  auto uploads = std::move(pending_upload_);
  pending_upload_.clear();
  for (auto id : uploads) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    Transfer& t = *it->second;
    if (!t.upload_paused) continue;
    t.upload_paused = false;
    // Keep the receiving side paused if JS is not reading.
    curl_easy_pause(t.easy.get(), t.curl_paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
  }
  auto resumes = std::move(pending_resume_);
  pending_resume_.clear();
  for (auto id : resumes) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    Transfer& t = *it->second;
    if (!t.curl_paused || t.js_full) continue;
    t.curl_paused = false;
    // May deliver the held chunk at once (on_write runs inside).
    curl_easy_pause(t.easy.get(), t.upload_paused ? CURLPAUSE_SEND : CURLPAUSE_CONT);
  }
  check_done();
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
  auto store = host_backing_store(isolate, len);
  std::memcpy(store->Data(), data, len);
  auto buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kData),
                                 v8::Uint8Array::New(buffer, 0, len)};
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
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t.easy.get(), CURLINFO_REDIRECT_COUNT, &redirects);
  curl_easy_getinfo(t.easy.get(), CURLINFO_EFFECTIVE_URL, &url);
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
    std::string reason = t.errbuf[0] ? t.errbuf : curl_easy_strerror(result);
    // The OS error lets JS word the failure as Zinnia's fetch did ("... (os error 111)").
    long os_errno = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_OS_ERRNO, &os_errno);
    v8::Local<v8::Value> argv[] = {
        event(isolate, FetchEvent::kError),
        to_v8(isolate, reason),
        to_v8(isolate, "CURLE_" + std::to_string(result)),
        v8::Integer::New(isolate, static_cast<int>(result)),
        v8::Integer::New(isolate, static_cast<int>(os_errno)),
        to_v8(isolate, os_errno ? std::strerror(static_cast<int>(os_errno)) : "")};
    emit(t, 6, argv);
  }
}

void FetchClient::check_done() {
  if (!multi_) return;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    CURLcode result = msg->data.result;
    if (!t) continue;
    std::uint32_t id = t->id;
    // Take it out first: JS called from finish() may start new transfers.
    curl_multi_remove_handle(multi_.get(), t->easy.get());
    t->added = false;
    finish(*t, result);
    remove(id);
  }
}

void FetchClient::socket_action(curl_socket_t fd, int flags) {
  if (!multi_) return;
  int running = 0;
  curl_multi_socket_action(multi_.get(), fd, flags, &running);
  check_done();
}

int FetchClient::on_socket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<FetchClient*>(userp);
  auto* sock = static_cast<Socket*>(socketp);
  if (self->shut_down_) return 0;  // shutdown() closes the watchers itself
  if (what == CURL_POLL_REMOVE) {
    if (sock) {
      self->sockets_.erase(sock);
      uv_poll_stop(&sock->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&sock->poll),
               [](uv_handle_t* h) { delete reinterpret_cast<Socket*>(h); });
      curl_multi_assign(self->multi_.get(), fd, nullptr);
    }
    return 0;
  }
  if (!sock) {
    sock = new Socket{};
    sock->client = self;
    sock->fd = fd;
    if (uv_poll_init_socket(self->loop_.uv(), &sock->poll, fd) != 0) {
      delete sock;
      return -1;
    }
    sock->poll.data = sock;
    uv_unref(reinterpret_cast<uv_handle_t*>(&sock->poll));
    self->sockets_.insert(sock);
    curl_multi_assign(self->multi_.get(), fd, sock);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(&sock->poll, events, [](uv_poll_t* h, int status, int ev) {
    auto* s = static_cast<Socket*>(h->data);
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (ev & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (ev & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    FetchClient* client = s->client;
    curl_socket_t sfd = s->fd;  // `s` may be freed inside socket_action
    client->loop_.run([client, sfd, flags] { client->socket_action(sfd, flags); });
  });
  return 0;
}

int FetchClient::on_timer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<FetchClient*>(userp);
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_);
    return 0;
  }
  uv_timer_start(
      self->timer_,
      [](uv_timer_t* h) {
        auto* client = static_cast<FetchClient*>(h->data);
        client->loop_.run([client] { client->socket_action(CURL_SOCKET_TIMEOUT, 0); });
      },
      static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

void FetchClient::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  transfers_.clear();  // removes every easy handle, resets the Globals
  pending_abort_.clear();
  pending_resume_.clear();
  pending_upload_.clear();
  for (void* p : sockets_) {
    auto* sock = static_cast<Socket*>(p);
    uv_poll_stop(&sock->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&sock->poll),
             [](uv_handle_t* h) { delete reinterpret_cast<Socket*>(h); });
  }
  sockets_.clear();
  multi_.reset();  // closes the cached connections
  auto close_timer = [](uv_timer_t*& timer) {
    if (!timer) return;
    uv_timer_stop(timer);
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer = nullptr;
  };
  close_timer(timer_);
  close_timer(kick_);
}

}  // namespace zinnia::engine::web
