#include "engine/ipfs/curl_loop.h"

namespace zinnia::ipfs {

struct CurlLoop::Socket {
  uv_poll_t poll;
  CurlLoop* owner;
  curl_socket_t fd;
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

CurlLoop::CurlLoop(uv_loop_t* loop) : loop_(loop) {
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlLoop::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlLoop::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  timer_ = new_timer(loop_, this);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  kick_ = new_timer(loop_, this);
  alive_ = new_timer(loop_, this);
}

CurlLoop::~CurlLoop() { shutdown(); }

bool CurlLoop::add(CURL* easy, Done done) {
  if (shut_down_ || !multi_) return false;
  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) return false;
  done_[easy] = std::move(done);
  update_alive();
  return true;
}

void CurlLoop::remove(CURL* easy) {
  if (done_.erase(easy) == 0) return;
  curl_multi_remove_handle(multi_, easy);
  update_alive();
}

void CurlLoop::update_alive() {
  if (!alive_) return;
  if (done_.empty())
    uv_timer_stop(alive_);
  else if (!uv_is_active(reinterpret_cast<uv_handle_t*>(alive_)))
    uv_timer_start(
        alive_, [](uv_timer_t*) {}, 1u << 30, 1u << 30);
}

void CurlLoop::defer(std::function<void()> fn) {
  if (shut_down_) return;
  deferred_.push_back(std::move(fn));
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(kick_))) {
    uv_timer_start(
        kick_,
        [](uv_timer_t* h) {
          auto* self = static_cast<CurlLoop*>(h->data);
          // Work deferred while running this batch waits for the next turn.
          auto batch = std::move(self->deferred_);
          self->deferred_.clear();
          for (auto& job : batch) job();
          self->check_done();
        },
        0, 0);
  }
}

void CurlLoop::socket_action(curl_socket_t fd, int flags) {
  if (!multi_) return;
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
  check_done();
}

void CurlLoop::check_done() {
  if (!multi_) return;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    auto it = done_.find(easy);
    if (it == done_.end()) continue;
    Done done = std::move(it->second);
    done_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    update_alive();
    done(result);  // may add or remove transfers
  }
}

int CurlLoop::on_socket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlLoop*>(userp);
  auto* sock = static_cast<Socket*>(socketp);
  if (self->shut_down_) return 0;
  if (what == CURL_POLL_REMOVE) {
    if (sock) {
      self->sockets_.erase(sock);
      uv_poll_stop(&sock->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&sock->poll),
               [](uv_handle_t* h) { delete reinterpret_cast<Socket*>(h); });
      curl_multi_assign(self->multi_, fd, nullptr);
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
    self->sockets_.insert(sock);
    curl_multi_assign(self->multi_, fd, sock);
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
    s->owner->socket_action(s->fd, flags);  // may free `s`
  });
  return 0;
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
      [](uv_timer_t* h) { static_cast<CurlLoop*>(h->data)->socket_action(CURL_SOCKET_TIMEOUT, 0); },
      static_cast<std::uint64_t>(timeout_ms), 0);
  return 0;
}

void CurlLoop::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [easy, done] : done_) curl_multi_remove_handle(multi_, easy);
  done_.clear();
  deferred_.clear();
  for (Socket* sock : sockets_) {
    uv_poll_stop(&sock->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&sock->poll),
             [](uv_handle_t* h) { delete reinterpret_cast<Socket*>(h); });
  }
  sockets_.clear();
  if (multi_) curl_multi_cleanup(multi_);  // closes the cached connections
  multi_ = nullptr;
  close_timer(timer_);
  close_timer(kick_);
  close_timer(alive_);
}

}  // namespace zinnia::ipfs
