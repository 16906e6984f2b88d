#include "engine/libp2p/node.h"

#include <uv.h>

#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "engine/libp2p/crypto.h"
#include "engine/libp2p/multiaddr.h"
#include "engine/libp2p/wire.h"
#include "util/version.h"

namespace zinnia::libp2p {

const char* to_string(Error::Kind k) {
  switch (k) {
    case Error::Kind::kInvalidArgument:
      return "invalid argument";
    case Error::Kind::kDial:
      return "dial failed";
    case Error::Kind::kSecurity:
      return "security handshake failed";
    case Error::Kind::kPeerIdMismatch:
      return "peer id mismatch";
    case Error::Kind::kNegotiation:
      return "protocol negotiation failed";
    case Error::Kind::kTooLarge:
      return "response too large";
    case Error::Kind::kCancelled:
      return "cancelled";
    case Error::Kind::kTimeout:
      return "timed out";
    case Error::Kind::kConnection:
      return "connection lost";
    case Error::Kind::kLimit:
      return "too many requests";
  }
  return "error";
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kNoise = "/noise";
constexpr std::string_view kYamux = "/yamux/1.0.0";
constexpr std::string_view kMplex = "/mplex/6.7.0";
constexpr std::string_view kPing = "/ipfs/ping/1.0.0";
constexpr std::string_view kIdentify = "/ipfs/id/1.0.0";
constexpr std::size_t kMaxWriteQueue = 32u << 20;  // a peer that does not read is dropped
constexpr std::size_t kMaxNegotiationBuffer = 64u << 10;
constexpr std::size_t kMaxInboundStreams = 256;
constexpr std::size_t kMaxInboundConnections = 1024;
constexpr std::size_t kMaxPingBacklog = 1u << 20;

struct Failure {
  Error::Kind kind;
  std::string cause;
};

}  // namespace

struct Connection;
struct Stream;

struct Request {
  RequestId id = 0;
  std::string address, protocol;
  Multiaddr addr;
  PeerId peer;
  Bytes payload;
  ChunkCallback on_chunk;
  DoneCallback on_done;
  RequestOptions opts;
  Clock::time_point deadline;
  Connection* conn = nullptr;  // while waiting for the connection or streaming
  Stream* stream = nullptr;
  std::size_t received = 0;
};

enum class Handler { kRequest, kPing, kIdentify, kInbound, kNone };

struct Stream {
  std::uint64_t key = 0;  // yamux: id; mplex: id << 1 | (we opened it)
  std::uint64_t id = 0;
  bool ours = false;
  bool negotiated = false;
  bool got_header = false;
  bool local_closed = false, remote_closed = false;
  Handler handler = Handler::kNone;
  Request* req = nullptr;
  std::uint64_t serial = 0;                       // kInbound: the handler's stream number
  std::shared_ptr<InboundStreamHandler> inbound;  // kInbound
  Buffer in;                                      // until negotiated
  // yamux flow control
  std::uint32_t send_window = yamux::kInitialWindow;
  std::uint32_t recv_window = yamux::kInitialWindow;
  Bytes pending;
  bool pending_fin = false;
};

struct Connection {
  enum class Phase { kResolving, kConnecting, kSecurity, kHandshake, kMuxer, kOpen, kClosed };
  enum class Muxer { kNone, kYamux, kMplex };

  Node::Impl* node = nullptr;
  std::uint64_t serial = 0;
  uv_tcp_t tcp{};
  bool outbound = false;
  std::string address;  // dialled, or the remote's /ip4/../tcp/.. for inbound
  Multiaddr remote_ma;  // without /p2p
  PeerId expected, remote;
  Phase phase = Phase::kResolving;
  Muxer muxer = Muxer::kNone;
  std::size_t muxer_index = 0;
  bool got_header = false;
  bool draining = false;           // go-away received: no new streams
  Clock::time_point deadline;      // dial/handshake deadline until open
  Clock::time_point idle_since{};  // when the last stream ended
  Buffer raw_in, plain_in;
  std::optional<noise::Handshake> hs;
  noise::CipherState tx, rx;
  Bytes plain_out;
  bool dirty = false;
  std::map<std::uint64_t, std::unique_ptr<Stream>> streams;
  std::size_t inbound_streams = 0;
  std::uint64_t next_id = 0;
  std::vector<Request*> waiting;
  uv_connect_t connect_req{};
};

struct Listener {
  uv_tcp_t tcp{};
  Node::Impl* node = nullptr;
};

struct Node::Impl {
  NodeOptions opts;
  Identity identity;
  Bytes public_key;
  std::string peer_id;
  std::vector<std::string> listen_addrs;
  std::vector<Bytes> listen_binary;

  uv_loop_t loop{};
  uv_async_t async{};
  uv_timer_t tick{};
  std::thread thread;
  std::mutex mu;
  std::deque<std::function<void()>> tasks;
  bool stopping = false;

  std::atomic<RequestId> next_request{1};
  std::uint64_t next_serial = 1;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections;  // by serial
  std::map<Bytes, Connection*> by_peer;                              // outbound, not draining
  std::map<RequestId, std::unique_ptr<Request>> requests;
  std::unordered_map<std::string, std::size_t> per_requester;
  std::vector<Connection*> dirty;
  std::map<std::string, std::shared_ptr<InboundStreamHandler>, std::less<>> handlers;
  std::uint64_t next_stream_serial = 1;

  struct Counters {
    std::atomic<std::uint64_t> connections{0}, inbound{0}, streams{0}, in_flight{0}, total{0},
        failed{0}, dials{0};
  } counters;

  explicit Impl(NodeOptions o);
  ~Impl();
  void post(std::function<void()> fn);
  void run_tasks();
  void shutdown();
  void log(const std::string& line) {
    if (opts.log) try {
        opts.log("libp2p: " + line);
      } catch (...) {
      }
  }

  // listeners
  void listen(const std::string& text);
  void on_accept(Listener* l, int status);

  // requests
  void start(std::unique_ptr<Request> r);
  void fail(Request* r, Error::Kind kind, const std::string& cause);
  void finish(Request* r, std::optional<Error> err);
  void cancel(RequestId id, Error::Kind kind, const std::string& why);
  void on_tick();

  // connections
  Connection* new_connection(bool outbound);
  void dial(Connection* c);
  void on_connected(Connection* c);
  void on_data(Connection* c, const std::uint8_t* p, std::size_t n);
  void on_raw(Connection* c);
  void on_plain(Connection* c);
  void secure_write(Connection* c, const Bytes& plain);
  void raw_write(Connection* c, Bytes data);
  void flush(Connection* c);
  void flush_dirty();
  void handshake_done(Connection* c);
  void connection_open(Connection* c);
  void close_connection(Connection* c, Error::Kind kind, const std::string& cause);
  void maybe_idle(Connection* c);

  // muxer
  Stream* open_stream(Connection* c);
  Stream* add_inbound_stream(Connection* c, std::uint64_t key, std::uint64_t id);
  void mux_frames(Connection* c);
  void stream_write(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n);
  void stream_write(Connection* c, Stream* s, const Bytes& b) {
    stream_write(c, s, b.data(), b.size());
  }
  void stream_close(Connection* c, Stream* s);
  void stream_reset(Connection* c, Stream* s);
  void yamux_flush(Connection* c, Stream* s);
  void remove_stream(Connection* c, Stream* s);
  void stream_data(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n);
  void stream_remote_close(Connection* c, Stream* s);
  void stream_remote_reset(Connection* c, Stream* s);
  void stream_negotiate(Connection* c, Stream* s);
  void stream_app_data(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n);
  void stream_negotiated(Connection* c, Stream* s);
  void maybe_remove(Connection* c, Stream* s);
  void inbound_end(Stream* s, bool clean);
};

// --- setup and shutdown -------------------------------------------------------------------------

Node::Impl::Impl(NodeOptions o) : opts(std::move(o)) {
  public_key = identity.public_key_protobuf();
  peer_id = PeerId::from_public_key(public_key).to_base58();
  if (opts.agent_version == "zinnia") opts.agent_version = std::string("zinnia/") + kVersion;
  for (const auto& m : opts.muxers)
    if (m != kYamux && m != kMplex) throw std::runtime_error("libp2p: unknown muxer '" + m + "'");
  if (opts.muxers.empty()) throw std::runtime_error("libp2p: no muxer");
  if (int rc = uv_loop_init(&loop))
    throw std::runtime_error(std::string("libp2p: uv_loop_init: ") + uv_strerror(rc));
  async.data = this;
  uv_async_init(&loop, &async, [](uv_async_t* a) { static_cast<Impl*>(a->data)->run_tasks(); });
  tick.data = this;
  uv_timer_init(&loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->on_tick(); }, 50, 50);
  try {
    for (const auto& l : opts.listen) listen(l);
  } catch (...) {
    shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    throw;
  }
  thread = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
}

Node::Impl::~Impl() {
  post([this] { shutdown(); });
  thread.join();
  uv_loop_close(&loop);
}

void Node::Impl::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    tasks.push_back(std::move(fn));
  }
  uv_async_send(&async);
}

void Node::Impl::run_tasks() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mu);
    batch.swap(tasks);
  }
  for (auto& t : batch) t();
  flush_dirty();
}

void Node::Impl::shutdown() {
  {
    std::lock_guard lock(mu);
    stopping = true;
    tasks.clear();
  }
  while (!requests.empty())
    fail(requests.begin()->second.get(), Error::Kind::kCancelled,
         "the libp2p node is shutting down");
  std::vector<Connection*> all;
  for (auto& [_, c] : connections) all.push_back(c.get());
  for (auto* c : all)
    close_connection(c, Error::Kind::kCancelled, "the libp2p node is shutting down");
  for (auto& l : listeners) uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
}

// --- listeners ----------------------------------------------------------------------------------

namespace {

Multiaddr sockaddr_to_multiaddr(const sockaddr_storage& ss) {
  Multiaddr m;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&a->sin_addr);
    m.push({Proto::kIp4, Bytes(b, b + 4)});
    const std::uint16_t port = ntohs(a->sin_port);
    m.push({Proto::kTcp,
            Bytes{static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)}});
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&a->sin6_addr);
    m.push({Proto::kIp6, Bytes(b, b + 16)});
    const std::uint16_t port = ntohs(a->sin6_port);
    m.push({Proto::kTcp,
            Bytes{static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)}});
  }
  return m;
}

// A literal ip4/ip6 + tcp multiaddr as a socket address.
bool to_sockaddr(const Multiaddr& m, sockaddr_storage& ss) {
  const Component* h = m.host();
  const int port = m.tcp_port();
  if (!h || port < 0) return false;
  std::memset(&ss, 0, sizeof ss);
  if (h->proto == Proto::kIp4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    std::memcpy(&a->sin_addr, h->value.data(), 4);
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    return true;
  }
  if (h->proto == Proto::kIp6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, h->value.data(), 16);
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    return true;
  }
  return false;
}

void alloc_cb(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  // Made by the first read of the node's loop thread. A thread_local array would be static TLS:
  // 64 KiB zeroed at the start of every thread of the process (V8's, FUSE's, each module's).
  constexpr std::size_t kSlab = std::size_t{64} << 10;
  static thread_local std::unique_ptr<char[]> slab;
  if (!slab) slab = std::make_unique_for_overwrite<char[]>(kSlab);
  buf->base = slab.get();
  buf->len = kSlab;
}

}  // namespace

void Node::Impl::listen(const std::string& text) {
  Multiaddr m;
  try {
    m = Multiaddr::parse(text);
  } catch (const DecodeError& e) {
    throw std::runtime_error(std::string("libp2p listen address: ") + e.what());
  }
  sockaddr_storage ss;
  if (m.components().size() != 2 || !to_sockaddr(m, ss))
    throw std::runtime_error(
        "libp2p listen address " + text +
        ": only /ip4/<addr>/tcp/<port> and /ip6/<addr>/tcp/<port> can be listened on");
  auto l = std::make_unique<Listener>();
  l->node = this;
  uv_tcp_init(&loop, &l->tcp);
  l->tcp.data = l.get();
  Listener* lp = l.get();
  listeners.push_back(std::move(l));
  int rc = uv_tcp_bind(&lp->tcp, reinterpret_cast<const sockaddr*>(&ss), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&lp->tcp), 128, [](uv_stream_t* s, int status) {
      auto* li = static_cast<Listener*>(s->data);
      li->node->on_accept(li, status);
    });
  if (rc) throw std::runtime_error("libp2p listen " + text + ": " + uv_strerror(rc));
  sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&lp->tcp, reinterpret_cast<sockaddr*>(&bound), &len);
  Multiaddr actual = sockaddr_to_multiaddr(bound);
  listen_addrs.push_back(actual.to_string());
  log("listening on " + actual.to_string() + "/p2p/" + peer_id);
  listen_binary.push_back(actual.encode());
}

void Node::Impl::on_accept(Listener* l, int status) {
  if (status < 0) return;
  Connection* c = new_connection(false);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&l->tcp), reinterpret_cast<uv_stream_t*>(&c->tcp)) !=
          0 ||
      counters.inbound >= kMaxInboundConnections) {
    close_connection(c, Error::Kind::kConnection, "refused");
    return;
  }
  sockaddr_storage peer;
  int len = sizeof peer;
  uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  c->remote_ma = sockaddr_to_multiaddr(peer);
  c->address = c->remote_ma.to_string();
  c->phase = Connection::Phase::kSecurity;
  c->deadline = Clock::now() + opts.dial_timeout;
  ++counters.inbound;
  on_connected(c);
}

// --- requests -----------------------------------------------------------------------------------

void Node::Impl::start(std::unique_ptr<Request> owned) {
  Request* r = owned.get();
  requests[r->id] = std::move(owned);
  ++counters.total;
  ++counters.in_flight;
  ++per_requester[r->opts.requester];
  const auto timeout = r->opts.timeout.count() > 0 ? r->opts.timeout : opts.default_request_timeout;
  r->deadline = Clock::now() + timeout;
  try {
    r->addr = Multiaddr::parse(r->address);
  } catch (const DecodeError& e) {
    return fail(r, Error::Kind::kInvalidArgument, e.what());
  }
  const Bytes mh = r->addr.peer_multihash();
  if (mh.empty())
    return fail(r, Error::Kind::kInvalidArgument, "the address has no /p2p/<peer id> part");
  try {
    r->peer = PeerId::from_multihash(mh);
  } catch (const DecodeError& e) {
    return fail(r, Error::Kind::kInvalidArgument, e.what());
  }
  const Multiaddr target = r->addr.without_p2p();
  if (!target.host() || target.tcp_port() < 0 || target.components().size() != 2)
    return fail(r, Error::Kind::kInvalidArgument,
                "only /ip4, /ip6, /dns, /dns4 or /dns6 addresses with /tcp/<port> can be dialled");
  if (r->protocol.empty())
    return fail(r, Error::Kind::kInvalidArgument, "the protocol name is empty");
  if (r->protocol.size() >= multistream::kMaxMessage || r->protocol.find('\n') != std::string::npos)
    return fail(r, Error::Kind::kInvalidArgument, "the protocol name is too long or has a newline");
  if (per_requester[r->opts.requester] > opts.max_requests_per_requester)
    return fail(
        r, Error::Kind::kLimit,
        "more than " + std::to_string(opts.max_requests_per_requester) + " requests in flight");

  auto it = by_peer.find(mh);
  Connection* c = it != by_peer.end() ? it->second : nullptr;
  if (!c) {
    c = new_connection(true);
    c->expected = r->peer;
    c->address = r->address;
    c->remote_ma = target;
    c->deadline = Clock::now() + opts.dial_timeout;
    by_peer[mh] = c;
    ++counters.dials;
    dial(c);
    if (c->phase == Connection::Phase::kClosed)
      return fail(r, Error::Kind::kDial, "could not start the dial");
  }
  r->conn = c;
  if (c->phase == Connection::Phase::kOpen) {
    r->stream = open_stream(c);
    r->stream->req = r;
    r->stream->handler = Handler::kRequest;
    Bytes out = multistream::encode(multistream::kProtocol);
    append(out, multistream::encode(r->protocol));
    stream_write(c, r->stream, out);
  } else {
    c->waiting.push_back(r);
  }
}

void Node::Impl::fail(Request* r, Error::Kind kind, const std::string& cause) {
  std::string msg = "libp2p request to " + r->address;
  if (!r->protocol.empty()) msg += " (" + r->protocol + ")";
  msg += ": " + std::string(to_string(kind)) + ": " + cause;
  finish(r, Error{kind, std::move(msg)});
}

void Node::Impl::finish(Request* r, std::optional<Error> err) {
  if (Stream* s = r->stream) {
    s->req = nullptr;
    r->stream = nullptr;
    if (err)
      stream_reset(r->conn, s);
    else
      maybe_remove(r->conn, s);
  }
  if (Connection* c = r->conn) {
    std::erase(c->waiting, r);
    r->conn = nullptr;
    maybe_idle(c);
  }
  if (err) ++counters.failed;
  --counters.in_flight;
  if (--per_requester[r->opts.requester] == 0) per_requester.erase(r->opts.requester);
  std::unique_ptr<Request> owned = std::move(requests[r->id]);
  requests.erase(r->id);
  try {
    if (owned->on_done) owned->on_done(std::move(err));
  } catch (...) {
    // A callback's exception must not take the node down.
  }
}

void Node::Impl::cancel(RequestId id, Error::Kind kind, const std::string& why) {
  auto it = requests.find(id);
  if (it != requests.end()) fail(it->second.get(), kind, why);
}

void Node::Impl::on_tick() {
  const auto now = Clock::now();
  std::vector<RequestId> late;
  for (auto& [id, r] : requests)
    if (now >= r->deadline) late.push_back(id);
  for (auto id : late)
    cancel(id, Error::Kind::kTimeout, "no complete response before the deadline");
  std::vector<Connection*> stale;
  for (auto& [_, c] : connections) {
    if (c->phase == Connection::Phase::kClosed) continue;
    const bool setup_late = c->phase != Connection::Phase::kOpen && now >= c->deadline;
    const bool idle = c->phase == Connection::Phase::kOpen && c->streams.empty() &&
                      c->waiting.empty() && c->idle_since != Clock::time_point{} &&
                      now - c->idle_since >= opts.idle_timeout;
    if (setup_late || idle) stale.push_back(c.get());
  }
  for (auto* c : stale)
    close_connection(
        c, c->phase == Connection::Phase::kOpen ? Error::Kind::kConnection : Error::Kind::kDial,
        c->phase == Connection::Phase::kOpen ? "idle" : "the connection was not set up in time");
  flush_dirty();
}

// --- connections --------------------------------------------------------------------------------

Connection* Node::Impl::new_connection(bool outbound) {
  auto c = std::make_unique<Connection>();
  c->node = this;
  c->serial = next_serial++;
  c->outbound = outbound;
  uv_tcp_init(&loop, &c->tcp);
  c->tcp.data = c.get();
  Connection* p = c.get();
  connections[p->serial] = std::move(c);
  return p;
}

namespace {
struct Resolve {
  uv_getaddrinfo_t req{};
  Node::Impl* node;
  std::uint64_t serial;
  int port;
};
}  // namespace

void Node::Impl::dial(Connection* c) {
  const Component* h = c->remote_ma.host();
  auto connect = [this](Connection* conn, const sockaddr* sa) {
    conn->phase = Connection::Phase::kConnecting;
    conn->connect_req.data = conn;
    int rc = uv_tcp_connect(&conn->connect_req, &conn->tcp, sa, [](uv_connect_t* req, int status) {
      if (status == UV_ECANCELED) return;
      auto* cc = static_cast<Connection*>(req->data);
      if (status < 0)
        return cc->node->close_connection(cc, Error::Kind::kDial, uv_strerror(status));
      cc->phase = Connection::Phase::kSecurity;
      cc->node->on_connected(cc);
      cc->node->flush_dirty();
    });
    if (rc) close_connection(conn, Error::Kind::kDial, uv_strerror(rc));
  };
  if (h->proto == Proto::kIp4 || h->proto == Proto::kIp6) {
    sockaddr_storage ss;
    to_sockaddr(c->remote_ma, ss);
    return connect(c, reinterpret_cast<const sockaddr*>(&ss));
  }
  auto* res = new Resolve{{}, this, c->serial, c->remote_ma.tcp_port()};
  res->req.data = res;
  addrinfo hints{};
  hints.ai_family = h->proto == Proto::kDns4   ? AF_INET
                    : h->proto == Proto::kDns6 ? AF_INET6
                                               : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string name(as_chars(h->value));
  int rc = uv_getaddrinfo(
      &loop, &res->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* ai) {
        std::unique_ptr<Resolve> r(static_cast<Resolve*>(req->data));
        auto it = r->node->connections.find(r->serial);
        Connection* cc = it == r->node->connections.end() ? nullptr : it->second.get();
        if (!cc || cc->phase != Connection::Phase::kResolving) {
          uv_freeaddrinfo(ai);
          return;
        }
        if (status < 0 || !ai) {
          uv_freeaddrinfo(ai);
          return cc->node->close_connection(
              cc, Error::Kind::kDial, std::string("DNS resolution failed: ") + uv_strerror(status));
        }
        sockaddr_storage ss{};
        std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        uv_freeaddrinfo(ai);
        const auto port = htons(static_cast<std::uint16_t>(r->port));
        if (ss.ss_family == AF_INET)
          reinterpret_cast<sockaddr_in*>(&ss)->sin_port = port;
        else
          reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = port;
        cc->phase = Connection::Phase::kConnecting;
        cc->connect_req.data = cc;
        int rc2 = uv_tcp_connect(&cc->connect_req, &cc->tcp, reinterpret_cast<const sockaddr*>(&ss),
                                 [](uv_connect_t* creq, int st) {
                                   if (st == UV_ECANCELED) return;
                                   auto* c3 = static_cast<Connection*>(creq->data);
                                   if (st < 0)
                                     return c3->node->close_connection(c3, Error::Kind::kDial,
                                                                       uv_strerror(st));
                                   c3->phase = Connection::Phase::kSecurity;
                                   c3->node->on_connected(c3);
                                   c3->node->flush_dirty();
                                 });
        if (rc2) cc->node->close_connection(cc, Error::Kind::kDial, uv_strerror(rc2));
      },
      name.c_str(), nullptr, &hints);
  if (rc) {
    delete res;
    close_connection(c, Error::Kind::kDial,
                     std::string("DNS resolution failed: ") + uv_strerror(rc));
  }
}

void Node::Impl::on_connected(Connection* c) {
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), alloc_cb,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                  auto* cc = static_cast<Connection*>(s->data);
                  Impl* self = cc->node;
                  if (n < 0) {
                    self->close_connection(
                        cc, Error::Kind::kConnection,
                        n == UV_EOF ? "closed by the peer" : uv_strerror(static_cast<int>(n)));
                  } else if (n > 0) {
                    self->on_data(cc, reinterpret_cast<const std::uint8_t*>(buf->base),
                                  static_cast<std::size_t>(n));
                  }
                  self->flush_dirty();
                });
  if (c->outbound) {
    Bytes out = multistream::encode(multistream::kProtocol);
    append(out, multistream::encode(kNoise));
    raw_write(c, std::move(out));
  }
}

void Node::Impl::on_data(Connection* c, const std::uint8_t* p, std::size_t n) {
  if (c->phase == Connection::Phase::kClosed) return;
  c->raw_in.append(p, n);
  try {
    on_raw(c);
  } catch (const DecodeError& e) {
    close_connection(
        c, c->phase == Connection::Phase::kOpen ? Error::Kind::kConnection : Error::Kind::kSecurity,
        e.what());
  } catch (const std::exception& e) {
    close_connection(c, Error::Kind::kConnection, e.what());
  }
}

void Node::Impl::on_raw(Connection* c) {
  using P = Connection::Phase;
  while (c->phase == P::kSecurity) {
    auto msg = multistream::take(c->raw_in);
    if (!msg) return;
    if (!c->got_header) {
      if (*msg != multistream::kProtocol)
        throw DecodeError("multistream-select: expected /multistream/1.0.0, got '" + *msg + "'");
      c->got_header = true;
      if (!c->outbound) raw_write(c, multistream::encode(multistream::kProtocol));
      continue;
    }
    if (c->outbound) {
      if (*msg != kNoise) {
        close_connection(c, Error::Kind::kNegotiation,
                         "the peer does not support /noise (answered '" + *msg + "')");
        return;
      }
      c->hs.emplace(true);
      raw_write(c, noise::frame(c->hs->write_message({})));
    } else if (*msg == kNoise) {
      raw_write(c, multistream::encode(kNoise));
      c->hs.emplace(false);
    } else {
      raw_write(c, multistream::encode(multistream::kNa));
      continue;
    }
    c->phase = P::kHandshake;
    c->got_header = false;
  }
  while (c->phase == P::kHandshake) {
    auto frame = noise::take_frame(c->raw_in);
    if (!frame) return;
    noise::Handshake& hs = *c->hs;
    Bytes payload = hs.read_message(*frame);
    if (c->outbound) {  // message 2: the responder's identity
      noise::Payload pl = noise::decode_payload(payload);
      PeerId id = noise::verify_payload(pl, hs.remote_static());
      if (!(id == c->expected)) {
        close_connection(c, Error::Kind::kPeerIdMismatch,
                         "the remote is " + id.to_base58() + ", not " + c->expected.to_base58());
        return;
      }
      c->remote = id;
      raw_write(c, noise::frame(hs.write_message(
                       noise::encode_payload(noise::make_payload(identity, hs.local_static())))));
      handshake_done(c);
    } else if (hs.step() == 1) {
      // message 1 read: answer with message 2 and our identity
      raw_write(c, noise::frame(hs.write_message(
                       noise::encode_payload(noise::make_payload(identity, hs.local_static())))));
    } else {  // message 3: the initiator's identity
      noise::Payload pl = noise::decode_payload(payload);
      c->remote = noise::verify_payload(pl, hs.remote_static());
      handshake_done(c);
    }
  }
  while (c->phase == P::kMuxer || c->phase == P::kOpen) {
    auto frame = noise::take_frame(c->raw_in);
    if (!frame) return;
    Bytes plain = c->rx.decrypt({}, frame->data(), frame->size());
    c->plain_in.append(plain);
    on_plain(c);
  }
}

void Node::Impl::handshake_done(Connection* c) {
  auto [tx, rx] = c->hs->split();
  c->tx = tx;
  c->rx = rx;
  c->hs.reset();
  c->phase = Connection::Phase::kMuxer;
  c->got_header = false;
  if (c->outbound) {
    Bytes out = multistream::encode(multistream::kProtocol);
    append(out, multistream::encode(opts.muxers[0]));
    secure_write(c, out);
  }
}

void Node::Impl::on_plain(Connection* c) {
  using P = Connection::Phase;
  while (c->phase == P::kMuxer) {
    auto msg = multistream::take(c->plain_in);
    if (!msg) return;
    if (!c->got_header) {
      if (*msg != multistream::kProtocol)
        throw DecodeError("multistream-select: expected /multistream/1.0.0, got '" + *msg + "'");
      c->got_header = true;
      if (!c->outbound) secure_write(c, multistream::encode(multistream::kProtocol));
      continue;
    }
    if (c->outbound) {
      if (*msg == opts.muxers[c->muxer_index]) {
        c->muxer = *msg == kYamux ? Connection::Muxer::kYamux : Connection::Muxer::kMplex;
        connection_open(c);
      } else if (*msg == multistream::kNa && c->muxer_index + 1 < opts.muxers.size()) {
        secure_write(c, multistream::encode(opts.muxers[++c->muxer_index]));
      } else {
        std::string offered;
        for (const auto& m : opts.muxers) offered += (offered.empty() ? "" : ", ") + m;
        close_connection(c, Error::Kind::kNegotiation,
                         "the peer supports none of the muxers " + offered);
        return;
      }
    } else if (*msg == kYamux || *msg == kMplex) {
      secure_write(c, multistream::encode(*msg));
      c->muxer = *msg == kYamux ? Connection::Muxer::kYamux : Connection::Muxer::kMplex;
      connection_open(c);
    } else {
      secure_write(c, multistream::encode(multistream::kNa));
    }
  }
  if (c->phase == P::kOpen) mux_frames(c);
}

void Node::Impl::connection_open(Connection* c) {
  c->phase = Connection::Phase::kOpen;
  c->next_id = c->muxer == Connection::Muxer::kYamux ? (c->outbound ? 1 : 2) : 0;
  ++counters.connections;
  c->idle_since = Clock::now();
  log(std::string(c->outbound ? "connected to " : "accepted ") + c->address + " (" +
      c->remote.to_base58() + ", " + (c->muxer == Connection::Muxer::kYamux ? "yamux" : "mplex") +
      ")");
  std::vector<Request*> waiting;
  waiting.swap(c->waiting);
  for (Request* r : waiting) {
    r->stream = open_stream(c);
    r->stream->req = r;
    r->stream->handler = Handler::kRequest;
    Bytes out = multistream::encode(multistream::kProtocol);
    append(out, multistream::encode(r->protocol));
    stream_write(c, r->stream, out);
  }
}

void Node::Impl::secure_write(Connection* c, const Bytes& plain) {
  append(c->plain_out, plain);
  if (!c->dirty) {
    c->dirty = true;
    dirty.push_back(c);
  }
}

namespace {
struct Write {
  uv_write_t req{};
  Bytes data;
};
}  // namespace

void Node::Impl::raw_write(Connection* c, Bytes data) {
  if (c->phase == Connection::Phase::kClosed || data.empty()) return;
  auto* w = new Write{{}, std::move(data)};
  w->req.data = w;
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
                    [](uv_write_t* req, int) { delete static_cast<Write*>(req->data); });
  if (rc) {
    delete w;
    close_connection(c, Error::Kind::kConnection, std::string("write failed: ") + uv_strerror(rc));
    return;
  }
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c->tcp)) > kMaxWriteQueue)
    close_connection(c, Error::Kind::kConnection, "the peer does not read what we send");
}

void Node::Impl::flush(Connection* c) {
  c->dirty = false;
  if (c->phase == Connection::Phase::kClosed || c->plain_out.empty()) return;
  Bytes out;
  out.reserve(c->plain_out.size() + (c->plain_out.size() / noise::kMaxPlaintext + 1) * 18);
  for (std::size_t pos = 0; pos < c->plain_out.size(); pos += noise::kMaxPlaintext) {
    const std::size_t n = std::min(noise::kMaxPlaintext, c->plain_out.size() - pos);
    Bytes ct = c->tx.encrypt({}, c->plain_out.data() + pos, n);
    out.push_back(static_cast<std::uint8_t>(ct.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(ct.size()));
    append(out, ct);
  }
  c->plain_out.clear();
  raw_write(c, std::move(out));
}

void Node::Impl::flush_dirty() {
  std::vector<Connection*> batch;
  batch.swap(dirty);
  for (Connection* c : batch) flush(c);
}

void Node::Impl::close_connection(Connection* c, Error::Kind kind, const std::string& cause) {
  if (c->phase == Connection::Phase::kClosed) return;
  const bool was_open = c->phase == Connection::Phase::kOpen;
  c->phase = Connection::Phase::kClosed;
  if (was_open) --counters.connections;
  if (!c->address.empty())
    log("connection " + std::string(c->outbound ? "to " : "from ") + c->address + " closed (" +
        to_string(kind) + ": " + cause + ")");
  if (!c->outbound && !c->address.empty()) {
    if (counters.inbound > 0) --counters.inbound;
  }
  for (auto it = by_peer.begin(); it != by_peer.end(); ++it)
    if (it->second == c) {
      by_peer.erase(it);
      break;
    }
  std::vector<Request*> affected = c->waiting;
  for (auto& [_, s] : c->streams) {
    if (s->req) affected.push_back(s->req);
    inbound_end(s.get(), false);
  }
  for (Request* r : affected) {
    if (r->stream) {
      r->stream->req = nullptr;
      r->stream = nullptr;
    }
    std::string why = cause;
    if (kind == Error::Kind::kConnection && was_open)
      why = "the connection to " + c->address + " closed: " + cause;
    fail(r, kind, why);
  }
  counters.streams -= c->streams.size();
  c->streams.clear();
  c->waiting.clear();
  std::erase(dirty, c);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
    auto* cc = static_cast<Connection*>(h->data);
    cc->node->connections.erase(cc->serial);
  });
}

void Node::Impl::maybe_idle(Connection* c) {
  if (c->phase == Connection::Phase::kOpen && c->streams.empty() && c->waiting.empty())
    c->idle_since = Clock::now();
}

// --- muxers -------------------------------------------------------------------------------------

Stream* Node::Impl::open_stream(Connection* c) {
  auto s = std::make_unique<Stream>();
  s->ours = true;
  s->id = c->next_id;
  if (c->muxer == Connection::Muxer::kYamux) {
    c->next_id += 2;
    s->key = s->id;
    secure_write(
        c, yamux::encode(
               {yamux::kWindowUpdate, yamux::kSyn, static_cast<std::uint32_t>(s->id), 0, {}}));
  } else {
    c->next_id += 1;
    s->key = (s->id << 1) | 1;
    secure_write(c, mplex::encode({s->id, mplex::kNewStream, to_bytes(std::to_string(s->id))}));
  }
  Stream* p = s.get();
  c->streams[p->key] = std::move(s);
  ++counters.streams;
  c->idle_since = {};
  return p;
}

Stream* Node::Impl::add_inbound_stream(Connection* c, std::uint64_t key, std::uint64_t id) {
  if (c->inbound_streams >= kMaxInboundStreams || c->streams.count(key)) return nullptr;
  auto s = std::make_unique<Stream>();
  s->id = id;
  s->key = key;
  Stream* p = s.get();
  c->streams[key] = std::move(s);
  ++c->inbound_streams;
  ++counters.streams;
  c->idle_since = {};
  return p;
}

void Node::Impl::mux_frames(Connection* c) {
  if (c->muxer == Connection::Muxer::kYamux) {
    while (c->phase == Connection::Phase::kOpen) {
      auto f = yamux::take(c->plain_in, yamux::kInitialWindow);
      if (!f) return;
      if (f->type == yamux::kPing) {
        if (f->flags & yamux::kSyn)
          secure_write(c, yamux::encode({yamux::kPing, yamux::kAck, 0, f->length, {}}));
        continue;
      }
      if (f->type == yamux::kGoAway) {
        c->draining = true;
        for (auto it = by_peer.begin(); it != by_peer.end(); ++it)
          if (it->second == c) {
            by_peer.erase(it);
            break;
          }
        continue;
      }
      auto it = c->streams.find(f->stream);
      Stream* s = it == c->streams.end() ? nullptr : it->second.get();
      if (!s && (f->flags & yamux::kSyn)) {
        s = add_inbound_stream(c, f->stream, f->stream);
        if (!s) {
          secure_write(c, yamux::encode({yamux::kWindowUpdate, yamux::kRst, f->stream, 0, {}}));
          continue;
        }
        secure_write(c, yamux::encode({yamux::kWindowUpdate, yamux::kAck, f->stream, 0, {}}));
      }
      if (!s) continue;  // frames for a stream we already dropped
      if (f->type == yamux::kWindowUpdate) {
        s->send_window += f->length;
        yamux_flush(c, s);
      } else if (!f->data.empty()) {
        if (f->data.size() > s->recv_window)
          throw DecodeError("yamux: the peer overran a stream's receive window");
        s->recv_window -= static_cast<std::uint32_t>(f->data.size());
        stream_data(c, s, f->data.data(), f->data.size());
        // The data is handed on at once, so the window reopens at once; the 10 MiB cap bounds
        // what a stream can cost.
        auto again = c->streams.find(f->stream);
        if (again != c->streams.end() && !again->second->remote_closed &&
            s->recv_window < yamux::kInitialWindow / 2) {
          secure_write(c, yamux::encode({yamux::kWindowUpdate,
                                         0,
                                         f->stream,
                                         yamux::kInitialWindow - s->recv_window,
                                         {}}));
          s->recv_window = yamux::kInitialWindow;
        }
        if (again == c->streams.end()) continue;
      }
      if (f->flags & yamux::kRst)
        stream_remote_reset(c, s);
      else if (f->flags & yamux::kFin)
        stream_remote_close(c, s);
    }
  } else {
    while (c->phase == Connection::Phase::kOpen) {
      auto m = mplex::take(c->plain_in);
      if (!m) return;
      if (m->stream >= (1ull << 60)) throw DecodeError("mplex: stream id out of range");
      if (m->flag == mplex::kNewStream) {
        if (!add_inbound_stream(c, m->stream << 1, m->stream))
          secure_write(c, mplex::encode({m->stream, mplex::kResetReceiver, {}}));
        continue;
      }
      // Odd flags come from the receiver of a stream: one we opened.
      const bool ours = m->flag == mplex::kMessageReceiver || m->flag == mplex::kCloseReceiver ||
                        m->flag == mplex::kResetReceiver;
      auto it = c->streams.find((m->stream << 1) | (ours ? 1 : 0));
      if (it == c->streams.end()) continue;
      Stream* s = it->second.get();
      switch (m->flag) {
        case mplex::kMessageReceiver:
        case mplex::kMessageInitiator:
          if (!m->data.empty()) stream_data(c, s, m->data.data(), m->data.size());
          break;
        case mplex::kCloseReceiver:
        case mplex::kCloseInitiator:
          stream_remote_close(c, s);
          break;
        default:
          stream_remote_reset(c, s);
      }
    }
  }
}

void Node::Impl::stream_write(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n) {
  if (s->local_closed || n == 0) return;
  if (c->muxer == Connection::Muxer::kYamux) {
    s->pending.insert(s->pending.end(), p, p + n);
    yamux_flush(c, s);
  } else {
    for (std::size_t pos = 0; pos < n; pos += mplex::kMaxMessage) {
      const std::size_t len = std::min(mplex::kMaxMessage, n - pos);
      secure_write(
          c, mplex::encode({s->id, s->ours ? mplex::kMessageInitiator : mplex::kMessageReceiver,
                            Bytes(p + pos, p + pos + len)}));
    }
  }
}

void Node::Impl::yamux_flush(Connection* c, Stream* s) {
  std::size_t pos = 0;
  while (pos < s->pending.size() && s->send_window > 0) {
    const std::size_t len =
        std::min<std::size_t>({s->pending.size() - pos, s->send_window, std::size_t{64} * 1024});
    secure_write(
        c, yamux::encode({yamux::kData, 0, static_cast<std::uint32_t>(s->id), 0,
                          Bytes(s->pending.begin() + static_cast<std::ptrdiff_t>(pos),
                                s->pending.begin() + static_cast<std::ptrdiff_t>(pos + len))}));
    s->send_window -= static_cast<std::uint32_t>(len);
    pos += len;
  }
  s->pending.erase(s->pending.begin(), s->pending.begin() + static_cast<std::ptrdiff_t>(pos));
  if (s->pending.empty() && s->pending_fin) {
    s->pending_fin = false;
    secure_write(
        c, yamux::encode(
               {yamux::kWindowUpdate, yamux::kFin, static_cast<std::uint32_t>(s->id), 0, {}}));
    maybe_remove(c, s);
  }
}

void Node::Impl::stream_close(Connection* c, Stream* s) {
  if (s->local_closed) return;
  s->local_closed = true;
  if (c->muxer == Connection::Muxer::kYamux) {
    s->pending_fin = true;
    yamux_flush(c, s);
  } else {
    secure_write(
        c, mplex::encode({s->id, s->ours ? mplex::kCloseInitiator : mplex::kCloseReceiver, {}}));
    maybe_remove(c, s);
  }
}

void Node::Impl::stream_reset(Connection* c, Stream* s) {
  if (c->phase == Connection::Phase::kOpen) {
    if (c->muxer == Connection::Muxer::kYamux)
      secure_write(
          c, yamux::encode(
                 {yamux::kWindowUpdate, yamux::kRst, static_cast<std::uint32_t>(s->id), 0, {}}));
    else
      secure_write(
          c, mplex::encode({s->id, s->ours ? mplex::kResetInitiator : mplex::kResetReceiver, {}}));
  }
  remove_stream(c, s);
}

void Node::Impl::remove_stream(Connection* c, Stream* s) {
  inbound_end(s, false);
  if (s->req) {
    Request* r = s->req;
    s->req = nullptr;
    r->stream = nullptr;
  }
  if (!s->ours) --c->inbound_streams;
  --counters.streams;
  c->streams.erase(s->key);
  maybe_idle(c);
}

void Node::Impl::maybe_remove(Connection* c, Stream* s) {
  if (s->local_closed && s->remote_closed && !s->pending_fin && !s->req) remove_stream(c, s);
}

void Node::Impl::stream_data(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n) {
  if (s->remote_closed) return;
  if (!s->negotiated) {
    s->in.append(p, n);
    if (s->in.size() > kMaxNegotiationBuffer) {
      if (s->req)
        return fail(s->req, Error::Kind::kNegotiation, "the peer sent too much during negotiation");
      return stream_reset(c, s);
    }
    return stream_negotiate(c, s);
  }
  stream_app_data(c, s, p, n);
}

void Node::Impl::stream_negotiate(Connection* c, Stream* s) {
  try {
    while (!s->negotiated) {
      auto msg = multistream::take(s->in);
      if (!msg) return;
      if (!s->got_header) {
        if (*msg != multistream::kProtocol)
          throw DecodeError("multistream-select: expected /multistream/1.0.0, got '" + *msg + "'");
        s->got_header = true;
        if (!s->ours) stream_write(c, s, multistream::encode(multistream::kProtocol));
        continue;
      }
      if (s->ours) {
        if (*msg != s->req->protocol) {
          fail(s->req, Error::Kind::kNegotiation,
               "the peer does not support the protocol (answered '" + msg->substr(0, 100) + "')");
          return;
        }
        s->negotiated = true;
        stream_write(c, s, s->req->payload);
        s->req->payload.clear();
        stream_close(c, s);
      } else if (*msg == kPing || *msg == kIdentify) {
        stream_write(c, s, multistream::encode(*msg));
        s->negotiated = true;
        s->handler = *msg == kPing ? Handler::kPing : Handler::kIdentify;
        if (s->handler == Handler::kIdentify) {
          identify::Info info;
          info.protocol_version = "ipfs/0.1.0";
          info.agent_version = opts.agent_version;
          info.public_key = public_key;
          info.listen_addrs = listen_binary;
          info.observed_addr = c->remote_ma.encode();
          info.protocols = {std::string(kIdentify), std::string(kPing)};
          for (const auto& [name, _] : handlers) info.protocols.push_back(name);
          Bytes msgb;
          Bytes body = identify::encode(info);
          put_uvarint(msgb, body.size());
          append(msgb, body);
          stream_write(c, s, msgb);
          stream_close(c, s);
        }
      } else if (auto h = handlers.find(*msg); h != handlers.end()) {
        stream_write(c, s, multistream::encode(*msg));
        s->negotiated = true;
        s->handler = Handler::kInbound;
        s->inbound = h->second;
        s->serial = next_stream_serial++;
      } else {
        stream_write(c, s, multistream::encode(multistream::kNa));
      }
    }
  } catch (const DecodeError& e) {
    if (s->req) return fail(s->req, Error::Kind::kNegotiation, e.what());
    return stream_reset(c, s);
  }
  if (!s->in.empty()) {
    Bytes rest = s->in.take_all();
    stream_app_data(c, s, rest.data(), rest.size());
  }
}

void Node::Impl::stream_app_data(Connection* c, Stream* s, const std::uint8_t* p, std::size_t n) {
  switch (s->handler) {
    case Handler::kRequest: {
      Request* r = s->req;
      if (!r) return;
      r->received += n;
      if (r->received > r->opts.max_response)
        return fail(r, Error::Kind::kTooLarge,
                    "the response is over " + std::to_string(r->opts.max_response) + " bytes");
      try {
        if (r->on_chunk) r->on_chunk(Bytes(p, p + n));
      } catch (...) {
      }
      return;
    }
    case Handler::kInbound:
      try {
        if (s->inbound->on_data)
          s->inbound->on_data(s->serial, c->remote.to_base58(), Bytes(p, p + n));
      } catch (...) {
      }
      return;
    case Handler::kPing:
      if (s->pending.size() > kMaxPingBacklog) return stream_reset(c, s);
      stream_write(c, s, p, n);
      return;
    default:
      return;  // identify: nothing to read
  }
}

void Node::Impl::stream_remote_close(Connection* c, Stream* s) {
  if (s->remote_closed) return;
  s->remote_closed = true;
  if (s->req) {
    Request* r = s->req;
    if (!s->negotiated)
      return fail(r, Error::Kind::kNegotiation, "the peer closed the stream during negotiation");
    return finish(r, std::nullopt);
  }
  inbound_end(s, true);
  if (!s->local_closed)
    stream_close(c, s);  // ping: the dialer is done
  else
    maybe_remove(c, s);
}

void Node::Impl::stream_remote_reset(Connection* c, Stream* s) {
  if (s->req) {
    Request* r = s->req;
    s->req = nullptr;
    r->stream = nullptr;
    remove_stream(c, s);
    return fail(r, Error::Kind::kConnection, "the peer reset the stream");
  }
  inbound_end(s, false);
  remove_stream(c, s);
}

void Node::Impl::inbound_end(Stream* s, bool clean) {
  if (!s->inbound) return;
  auto h = std::move(s->inbound);
  try {
    if (h->on_end) h->on_end(s->serial, clean);
  } catch (...) {
  }
}

// --- public API ---------------------------------------------------------------------------------

Node::Node(NodeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Node::~Node() = default;

const std::string& Node::peer_id() const { return impl_->peer_id; }

RequestId Node::request(std::string address, std::string protocol, Bytes payload,
                        ChunkCallback on_chunk, DoneCallback on_done, RequestOptions options) {
  auto r = std::make_unique<Request>();
  r->id = impl_->next_request++;
  r->address = std::move(address);
  r->protocol = std::move(protocol);
  r->payload = std::move(payload);
  r->on_chunk = std::move(on_chunk);
  r->on_done = std::move(on_done);
  r->opts = std::move(options);
  const RequestId id = r->id;
  Impl* impl = impl_.get();
  auto shared = std::make_shared<std::unique_ptr<Request>>(std::move(r));
  impl->post([impl, shared] { impl->start(std::move(*shared)); });
  return id;
}

void Node::cancel(RequestId id) {
  Impl* impl = impl_.get();
  impl->post([impl, id] { impl->cancel(id, Error::Kind::kCancelled, "cancelled by the caller"); });
}

void Node::cancel_requester(const std::string& requester) {
  Impl* impl = impl_.get();
  impl->post([impl, requester] {
    std::vector<RequestId> ids;
    for (auto& [id, r] : impl->requests)
      if (r->opts.requester == requester) ids.push_back(id);
    for (auto id : ids)
      impl->cancel(id, Error::Kind::kCancelled, "the requester " + requester + " stopped");
  });
}

void Node::handle(std::string protocol, InboundStreamHandler handler) {
  Impl* impl = impl_.get();
  auto h = std::make_shared<InboundStreamHandler>(std::move(handler));
  impl->post([impl, protocol = std::move(protocol), h] { impl->handlers[protocol] = h; });
}

NodeStats Node::stats() const {
  NodeStats s;
  s.peer_id = impl_->peer_id;
  s.listen_addrs = impl_->listen_addrs;
  const auto& k = impl_->counters;
  s.connections = k.connections;
  s.inbound_connections = k.inbound;
  s.streams = k.streams;
  s.requests_in_flight = k.in_flight;
  s.requests_total = k.total;
  s.requests_failed = k.failed;
  s.dials = k.dials;
  return s;
}

}  // namespace zinnia::libp2p
