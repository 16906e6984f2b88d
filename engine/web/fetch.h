#pragma once
#include <curl/curl.h>
#include <uv.h>
#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/v8/bind.h"

namespace zinnia::engine {
class Loop;
}

namespace zinnia::engine::web {

// The kinds of event FetchClient sends to the JS side (engine/web/js/fetch.js onEvent),
// exported to it as host.fetchEvent.{HEADERS, DATA, END, ERROR, NEED_BODY}.
enum class FetchEvent : int { kHeaders, kData, kEnd, kError, kNeedBody, kCount };
// host.fetchEvent, one entry per FetchEvent (checked at compile time in fetch.cc).
std::vector<bind::Constant> fetch_event_constants();

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct Transfer;

// Sockets one module's fetch() may hold open at once; more transfers wait for one.
inline constexpr long kMaxConnectionsPerModule = 64;

// fetch() transfers of one module on libcurl's multi interface, driven by the module's own
// libuv loop (curl_multi_socket_action + uv_poll + uv_timer): no thread per request.
// Module thread only. Created lazily on the first fetch; shut down by the loop's close hook.
class FetchClient {
 public:
  explicit FetchClient(Loop& loop);
  ~FetchClient();
  FetchClient(const FetchClient&) = delete;
  FetchClient& operator=(const FetchClient&) = delete;

  struct Request {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    bool has_body = false;
    std::vector<std::uint8_t> body;
    bool stream_body = false;  // body chunks come later through write_body()
    bool follow_redirects = true;
  };
  // Starts a transfer; `on_event(kind, ...)` gets the response (see engine/web/js/fetch.js).
  // Returns its id, or 0 with a JS exception thrown.
  std::uint32_t start(Request request, v8::Local<v8::Function> on_event);
  // JS has room for more body data again.
  void resume(std::uint32_t id);
  // The next chunk of a streamed request body (`end`: no more).
  void write_body(std::uint32_t id, const std::uint8_t* data, std::size_t size, bool end);
  // Cancels the transfer; no more events are sent for it.
  void abort(std::uint32_t id);
  // Ends every transfer and closes the uv handles (the loop's close hook).
  void shutdown();

  // Callbacks from curl and libuv.
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  static size_t on_write(char* data, size_t size, size_t count, void* userp);
  static size_t on_read(char* buffer, size_t size, size_t count, void* userp);

 private:
  friend struct Transfer;
  bool ensure_multi();
  void socket_action(curl_socket_t fd, int flags);
  void check_done();
  void finish(Transfer& t, CURLcode result);
  void send_headers(Transfer& t);
  bool emit(Transfer& t, int argc, v8::Local<v8::Value>* argv);
  void remove(std::uint32_t id);
  size_t write(Transfer& t, const char* data, size_t len);
  size_t read(Transfer& t, char* buffer, size_t len);
  void schedule_kick();
  void run_kick();

  Loop& loop_;
  CurlMulti multi_;
  uv_timer_t* timer_ = nullptr;  // curl's timeout; heap-allocated, freed by its close callback
  uv_timer_t* kick_ = nullptr;   // deferred resume/abort, never run inside curl callbacks
  std::unordered_map<std::uint32_t, std::unique_ptr<Transfer>> transfers_;
  std::unordered_set<void*> sockets_;  // open Socket watchers (fetch.cc)
  std::vector<std::uint32_t> pending_resume_, pending_abort_, pending_upload_;
  std::uint32_t next_id_ = 1;
  bool shut_down_ = false;
};

}  // namespace zinnia::engine::web
