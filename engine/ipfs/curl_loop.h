#pragma once
// libcurl's multi interface driven by a libuv loop (curl_multi_socket_action + uv_poll +
// uv_timer), as engine/web/fetch.cc drives it, without V8: no thread per transfer.
// Loop thread only.
#include <curl/curl.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace zinnia::ipfs {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// A heap uv timer on `loop` with `data`, and its closing (stops it, frees it in the close
// callback, nulls the pointer; a null pointer is left alone). Shared by the retriever.
uv_timer_t* new_timer(uv_loop_t* loop, void* data);
void close_timer(uv_timer_t*& t);

class CurlLoop {
 public:
  explicit CurlLoop(uv_loop_t* loop);
  ~CurlLoop();
  CurlLoop(const CurlLoop&) = delete;
  CurlLoop& operator=(const CurlLoop&) = delete;

  using Done = std::function<void(CURLcode result)>;
  // Starts `easy` (owned by the caller, alive until `done` runs or remove()). `done` runs
  // outside curl's callbacks. Returns false if curl refused it.
  bool add(CURL* easy, Done done);
  // Takes `easy` out without calling `done`. Not from inside curl's callbacks: use defer().
  void remove(CURL* easy);
  // Runs `fn` on a later turn of the loop, outside every curl callback.
  void defer(std::function<void()> fn);
  // While transfers run the loop is kept alive; idle cached connections do not keep it.
  std::size_t transfers() const { return done_.size(); }
  uv_loop_t* uv() const { return loop_; }
  // Removes every transfer (no `done`) and closes the uv handles.
  void shutdown();

 private:
  struct Socket;
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  void socket_action(curl_socket_t fd, int flags);
  void check_done();
  void update_alive();

  uv_loop_t* loop_;
  CURLM* multi_ = nullptr;
  uv_timer_t* timer_ = nullptr;  // curl's timeout
  uv_timer_t* kick_ = nullptr;   // deferred work
  uv_timer_t* alive_ = nullptr;  // referenced while transfers run
  std::unordered_map<CURL*, Done> done_;
  std::unordered_set<Socket*> sockets_;
  std::vector<std::function<void()>> deferred_;
  bool shut_down_ = false;
};

}  // namespace zinnia::ipfs
