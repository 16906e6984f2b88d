#pragma once
// libcurl's multi interface driven by a libuv loop (curl_multi_socket_action + uv_poll +
// uv_timer): no thread per transfer. The one driver for fetch() (engine/web/fetch.cc) and the
// IPFS retriever (engine/ipfs/retriever.cc); in a module both share one, so they share its
// connection cache, DNS cache and pool of easy handles. V8-free. Loop thread only.
#include <uv.h>

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/curl/lib.h"

namespace zinnia::curl {

// A heap uv timer on `loop` with `data`, and its closing (stops it, frees it in the close
// callback, nulls the pointer; a null pointer is left alone).
uv_timer_t* new_timer(uv_loop_t* loop, void* data);
void close_timer(uv_timer_t*& t);

// Sockets one loop (one module's fetch and ipfs transfers) may hold open at once; more
// transfers wait in curl for one.
inline constexpr long kMaxConnectionsPerLoop = 64;

class CurlLoop {
 public:
  // Loads libcurl (lib.h) if no one has yet; throws std::runtime_error saying why it cannot.
  explicit CurlLoop(uv_loop_t* loop);
  ~CurlLoop();
  CurlLoop(const CurlLoop&) = delete;
  CurlLoop& operator=(const CurlLoop&) = delete;

  // Every entry from libuv into curl (socket events, curl's timer, deferred work) runs inside
  // `turn(fn)`: the engine makes each one a turn of the module (V8 scopes, microtasks).
  using Turn = std::function<void(const std::function<void()>&)>;
  void set_turn(Turn turn) { turn_ = std::move(turn); }
  // Whether running transfers keep the uv loop alive (default true). The engine keeps the
  // module alive per transfer instead (an unread body must not).
  void set_keep_alive(bool keep);

  // An easy handle: a reset one from the pool, else a new one (null if curl fails). Give it
  // back with recycle() once it is out of the multi handle; the pool keeps at most kPool.
  Easy take_easy();
  void recycle(Easy easy);
  static constexpr std::size_t kPool = 64;

  using Done = std::function<void(CURLcode result)>;
  // Starts `easy` (owned by the caller, alive until `done` runs or remove()). `done` runs
  // outside curl's callbacks. Returns false if curl refused it.
  bool add(CURL* easy, Done done);
  // Takes `easy` out without calling `done`. Not from inside curl's callbacks: use defer().
  void remove(CURL* easy);
  // Runs `fn` on a later turn of the loop, outside every curl callback.
  void defer(std::function<void()> fn);
  std::size_t transfers() const { return done_.size(); }
  uv_loop_t* uv() const { return loop_; }
  CURLM* multi() const { return multi_; }
  // Removes every transfer (no `done`), closes the uv handles and the cached connections.
  void shutdown();

 private:
  struct Socket;
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  static void on_poll(uv_poll_t* h, int status, int events);
  static int on_close(void* clientp, curl_socket_t fd);
  void watch(Socket& sock, int events);
  void forget(curl_socket_t fd);
  static void close_socket(Socket* sock);
  void in_turn(const std::function<void()>& fn);
  void socket_action(curl_socket_t fd, int flags);
  void run_ready();
  void run_deferred();
  void check_done();
  void update_alive();

  uv_loop_t* loop_;
  const Lib& lib_;
  CURLM* multi_ = nullptr;
  uv_timer_t* timer_ = nullptr;  // curl's timeout
  uv_timer_t* kick_ = nullptr;   // deferred work
  uv_timer_t* alive_ = nullptr;  // referenced while transfers run (keep_alive_)
  // Socket events of one libuv iteration, run together in one turn from the check phase
  // (right after the poll phase), so 64 ready connections cost one microtask checkpoint.
  uv_check_t* ready_check_ = nullptr;
  std::vector<std::pair<curl_socket_t, int>> ready_;
  bool keep_alive_ = true;
  Turn turn_;
  std::unordered_map<CURL*, Done> done_;
  std::unordered_map<curl_socket_t, Socket*> sockets_;  // every socket curl has not closed
  std::vector<std::function<void()>> deferred_;
  std::vector<Easy> pool_;
  bool shut_down_ = false;
};

}  // namespace zinnia::curl
