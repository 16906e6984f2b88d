#pragma once
#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/curl/curl_loop.h"
#include "engine/v8/bind.h"

namespace zinnia::engine {
class Loop;
}

namespace zinnia::engine::web {

// The kinds of event FetchClient sends to the JS side (engine/web/js/fetch.js onEvent),
// exported to it as host.fetchEvent.{HEADERS, DATA, END, ERROR, NEED_BODY}.
enum class FetchEvent : int { kHeaders, kData, kEnd, kError, kNeedBody, kCount };
// An event's number for fetch.js's onEvent, and a Uint8Array with a copy of `size` bytes
// (counted as the module's host memory): what every producer of FetchEvents hands to JS.
v8::Local<v8::Integer> event(v8::Isolate* isolate, FetchEvent kind);
v8::Local<v8::Uint8Array> host_bytes(v8::Isolate* isolate, const void* data, std::size_t size);
// host.fetchEvent, one entry per FetchEvent (checked at compile time in fetch.cc).
std::vector<bind::Constant> fetch_event_constants();

struct Transfer;

// fetch() transfers of one module on the curl driver (engine/curl/curl_loop.h) on the module's
// own libuv loop: no thread per request. The driver, and with it libcurl itself, is made on the
// first fetch; its connection cache and easy handles are reused by every later one (HTTP
// keep-alive), and fetch("ipfs://...") shares it (curl_loop()). Module thread only; shut down
// by the loop's close hook.
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
  // The module's curl driver, made (and libcurl loaded) on first use. Throws
  // std::runtime_error when libcurl cannot be loaded.
  curl::CurlLoop& curl_loop();

  // Callbacks from curl.
  static size_t on_write(char* data, size_t size, size_t count, void* userp);
  static size_t on_read(char* buffer, size_t size, size_t count, void* userp);

 private:
  friend struct Transfer;
  void finish(Transfer& t, CURLcode result);
  void send_headers(Transfer& t);
  bool emit(Transfer& t, int argc, v8::Local<v8::Value>* argv);
  void remove(std::uint32_t id);
  size_t write(Transfer& t, const char* data, size_t len);
  size_t read(Transfer& t, char* buffer, size_t len);
  void run_resume(std::uint32_t id);
  void run_upload(std::uint32_t id);

  Loop& loop_;
  std::unique_ptr<curl::CurlLoop> curl_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Transfer>> transfers_;
  std::uint32_t next_id_ = 1;
  bool shut_down_ = false;
};

}  // namespace zinnia::engine::web
