#include "engine/curl/curl_loop.h"

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace zinnia::curl {

namespace {
const Lib& load_or_throw() {
  std::string error;
  const Lib* lib = load(&error);
  if (!lib) throw std::runtime_error(error);
  return *lib;
}
}  // namespace

// One watcher per socket curl gave us, kept from curl's first interest in the socket until
// curl closes it (on_close), so a kept-alive connection's next request re-arms nothing.
struct CurlLoop::Socket {
  uv_poll_t poll;
  CurlLoop* owner;
  curl_socket_t fd;
  int events = 0;       // what the uv_poll watches; 0: stopped
  bool parked = false;  // curl said CURL_POLL_REMOVE: an idle connection in its cache
};

uv_timer_t* new_timer(uv_loop_t* loop, void* data) {
  auto* t = new uv_timer_t;
  uv_timer_init(loop, t);
  t->data = data;
  return t;
}

void close_timer(uv_timer_t*& t) {
  if (!t) return;
  uv_timer_stop(t);
  uv_close(reinterpret_cast<uv_handle_t*>(t),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  t = nullptr;
}

CurlLoop::CurlLoop(uv_loop_t* loop) : loop_(loop), lib_(load_or_throw()) {
  multi_ = lib_.multi_init();
  if (!multi_) throw std::runtime_error("libcurl: curl_multi_init failed");
  lib_.multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlLoop::on_socket);
  lib_.multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  lib_.multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlLoop::on_timer);
  lib_.multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // A module's fd budget: transfers past it wait in curl for a connection instead of each
  // opening a socket (3,000 fetches at once took every fd of the process).
  lib_.multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, kMaxConnectionsPerLoop);
  // Keep as many idle connections as may be open. curl's default is 4x the handles in the
  // multi handle *at the moment a transfer ends*, so when 64 transfers end in one batch the
  // last ones close the oldest idle connections: at concurrency 64, 1 request in 20 opened
  // a new TCP connection (Deno: 64 connections for 19,200 requests).
  lib_.multi_setopt(multi_, CURLMOPT_MAXCONNECTS, kMaxConnectionsPerLoop);
  timer_ = new_timer(loop_, this);
  // Transfers keep the loop alive (alive_, or the engine's own refs); curl's timer, which
  // also runs for connection upkeep, must not.
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  kick_ = new_timer(loop_, this);
  alive_ = new_timer(loop_, this);
  ready_check_ = new uv_check_t;
  uv_check_init(loop_, ready_check_);
  ready_check_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(ready_check_));
}

CurlLoop::~CurlLoop() { shutdown(); }

void CurlLoop::set_keep_alive(bool keep) {
  keep_alive_ = keep;
  update_alive();
}

Easy CurlLoop::take_easy() {
  Easy e;
  if (!pool_.empty()) {
    e = std::move(pool_.back());
    pool_.pop_back();
  } else {
    e.reset(lib_.easy_init());
  }
  if (!e) return e;
  // Every user (fetch, IPFS gateways) gets the trust the environment asks for.
  apply_trust_env(e.get());
  // curl copies these into each connection it opens, and closes every socket through them:
  // a socket's watcher lives until then (see Socket).
  lib_.easy_setopt(e.get(), CURLOPT_CLOSESOCKETFUNCTION, &CurlLoop::on_close);
  lib_.easy_setopt(e.get(), CURLOPT_CLOSESOCKETDATA, this);
  return e;
}

void CurlLoop::recycle(Easy easy) {
  if (!easy) return;
  if (shut_down_ || pool_.size() >= kPool) return;  // freed here
  // Back to the defaults; the connection it used stays in the multi handle's cache.
  lib_.easy_reset(easy.get());
  pool_.push_back(std::move(easy));
}

bool CurlLoop::add(CURL* easy, Done done) {
  if (shut_down_ || !multi_) return false;
  if (lib_.multi_add_handle(multi_, easy) != CURLM_OK) return false;
  done_[easy] = std::move(done);
  update_alive();
  return true;
}

void CurlLoop::remove(CURL* easy) {
  if (done_.erase(easy) == 0) return;
  lib_.multi_remove_handle(multi_, easy);
  update_alive();
}

void CurlLoop::update_alive() {
  if (!alive_) return;
  if (done_.empty() || !keep_alive_)
    uv_timer_stop(alive_);
  else if (!uv_is_active(reinterpret_cast<uv_handle_t*>(alive_)))
    uv_timer_start(
        alive_, [](uv_timer_t*) {}, 1u << 30, 1u << 30);
}

void CurlLoop::in_turn(const std::function<void()>& fn) {
  if (turn_)
    turn_(fn);
  else
    fn();
}

void CurlLoop::defer(std::function<void()> fn) {
  if (shut_down_) return;
  deferred_.push_back(std::move(fn));
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(kick_))) {
    uv_timer_start(
        kick_,
        [](uv_timer_t* h) {
          auto* self = static_cast<CurlLoop*>(h->data);
          self->in_turn([self] { self->run_deferred(); });
        },
        0, 0);
  }
}

void CurlLoop::run_deferred() {
  // Work deferred while running this batch waits for the next turn.
  auto batch = std::move(deferred_);
  deferred_.clear();
  for (auto& job : batch) job();
  check_done();
}

void CurlLoop::socket_action(curl_socket_t fd, int flags) {
  if (!multi_) return;
  int running = 0;
  lib_.multi_socket_action(multi_, fd, flags, &running);
  check_done();
}

void CurlLoop::check_done() {
  if (!multi_) return;
  int left = 0;
  while (CURLMsg* msg = lib_.multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    auto it = done_.find(easy);
    if (it == done_.end()) continue;
    Done done = std::move(it->second);
    done_.erase(it);
    lib_.multi_remove_handle(multi_, easy);
    update_alive();
    done(result);         // may add or remove transfers, or recycle `easy`
    if (!multi_) return;  // `done` shut us down
  }
}

int CurlLoop::on_socket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlLoop*>(userp);
  auto* sock = static_cast<Socket*>(socketp);
  if (self->shut_down_) return 0;  // shutdown() closes the watchers itself
  if (!sock) {
    auto it = self->sockets_.find(fd);
    if (it != self->sockets_.end()) sock = it->second;
  }
  if (what == CURL_POLL_REMOVE) {
    // The transfer is done with the socket; its connection may serve the next one. Leave the
    // watcher armed for reading (one epoll_ctl less now and one at the reuse: libuv's
    // uv_poll_start always deletes and re-adds the fd); an idle connection is silent until the
    // peer closes it, and then on_poll stops watching.
    if (sock) {
      sock->parked = true;
      if (sock->events & UV_WRITABLE) self->watch(*sock, 0);  // always ready: would spin
    }
    return 0;
  }
  if (!sock) {
    sock = new Socket{};
    sock->owner = self;
    sock->fd = fd;
    if (uv_poll_init_socket(self->loop_, &sock->poll, fd) != 0) {
      delete sock;
      return -1;
    }
    sock->poll.data = sock;
    uv_unref(reinterpret_cast<uv_handle_t*>(&sock->poll));
    self->sockets_.emplace(fd, sock);
  }
  if (sock->parked || !socketp) {
    sock->parked = false;
    self->lib_.multi_assign(self->multi_, fd, sock);  // curl's entry for it is new
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  self->watch(*sock, events);
  return 0;
}

void CurlLoop::watch(Socket& sock, int events) {
  if (events == sock.events) return;
  sock.events = events;
  if (events == 0) {
    uv_poll_stop(&sock.poll);
    return;
  }
  uv_poll_start(&sock.poll, events, &CurlLoop::on_poll);
}

void CurlLoop::on_poll(uv_poll_t* h, int status, int ev) {
  auto* s = static_cast<Socket*>(h->data);
  CurlLoop* owner = s->owner;
  if (s->parked) {
    // An idle connection became readable: the peer closed it (or broke HTTP/1.1). curl is not
    // watching it; it finds it dead when it next looks in its cache, and closes it.
    owner->watch(*s, 0);
    return;
  }
  int flags = 0;
  if (status < 0) flags = CURL_CSELECT_ERR;
  if (ev & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (ev & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  // By fd: `s` may be freed by an earlier event's socket_action in the batch (curl ignores
  // an fd it no longer knows).
  owner->ready_.emplace_back(s->fd, flags);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(owner->ready_check_))) {
    uv_check_start(owner->ready_check_,
                   [](uv_check_t* ck) { static_cast<CurlLoop*>(ck->data)->run_ready(); });
  }
}

int CurlLoop::on_close(void* clientp, curl_socket_t fd) {
  static_cast<CurlLoop*>(clientp)->forget(fd);
  return ::close(fd);
}

void CurlLoop::forget(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  Socket* sock = it->second;
  sockets_.erase(it);
  close_socket(sock);
}

void CurlLoop::close_socket(Socket* sock) {
  // Before the fd is closed: libuv must not keep a watcher for an fd number the next socket
  // may get.
  uv_poll_stop(&sock->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&sock->poll),
           [](uv_handle_t* h) { delete reinterpret_cast<Socket*>(h); });
}

void CurlLoop::run_ready() {
  uv_check_stop(ready_check_);
  auto batch = std::move(ready_);
  ready_.clear();
  // One turn for the batch; each event nested in it keeps its own error handling, and the
  // microtasks run once, when the outer turn ends.
  in_turn([&] {
    for (const auto& ready : batch) {
      if (shut_down_) return;
      in_turn([&] { socket_action(ready.first, ready.second); });
    }
  });
}

int CurlLoop::on_timer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlLoop*>(userp);
  if (!self->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_);
    return 0;
  }
  uv_timer_start(
      self->timer_,
      [](uv_timer_t* h) {
        auto* owner = static_cast<CurlLoop*>(h->data);
        owner->in_turn([owner] { owner->socket_action(CURL_SOCKET_TIMEOUT, 0); });
      },
      static_cast<std::uint64_t>(timeout_ms), 0);
  return 0;
}

void CurlLoop::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [easy, done] : done_) lib_.multi_remove_handle(multi_, easy);
  done_.clear();
  deferred_.clear();
  pool_.clear();
  for (auto& [fd, sock] : sockets_) close_socket(sock);
  sockets_.clear();
  if (multi_) lib_.multi_cleanup(multi_);  // closes the cached connections
  multi_ = nullptr;
  close_timer(timer_);
  close_timer(kick_);
  close_timer(alive_);
  ready_.clear();
  if (ready_check_) {
    uv_check_stop(ready_check_);
    uv_close(reinterpret_cast<uv_handle_t*>(ready_check_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
    ready_check_ = nullptr;
  }
}

}  // namespace zinnia::curl
