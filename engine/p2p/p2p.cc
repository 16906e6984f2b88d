#include "engine/p2p/p2p.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

#include "engine/libp2p/multiaddr.h"
#include "engine/loop/loop.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

std::mutex g_mu;
std::shared_ptr<libp2p::Node> g_node;
std::atomic<std::uint64_t> g_requesters{0};
std::mutex g_log_mu;
std::function<void(const std::string&)> g_log;
bool g_debug_stderr = false;

std::vector<std::string> split_addrs(const char* text) {
  std::vector<std::string> out;
  std::string s(text);
  for (char& c : s)
    if (c == ',') c = ' ';
  std::istringstream in(s);
  std::string a;
  while (in >> a) out.push_back(a);
  return out;
}

// One module's requests: their JS callbacks and the Refs that keep the module alive while they
// are in flight. Destroyed when the module's loop closes: its requests are cancelled.
struct P2pState {
  struct Pending {
    v8::Global<v8::Function> done;
    Loop::Ref ref;
    libp2p::RequestId id = 0;
  };

  // The node is made on first use (Zinnia.peerId, requestProtocol), not at module start: it
  // costs a key pair and a thread, and most modules never touch it. A listener is wanted from
  // the start, though: with ZINNIA_LIBP2P_LISTEN set the first module makes it.
  explicit P2pState(v8::Local<v8::Context> context)
      : loop(&Loop::from(context->GetIsolate())),
        poster(loop->poster()),
        requester("module-" + std::to_string(++g_requesters)) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the process never calls setenv
    if (const char* listen = std::getenv("ZINNIA_LIBP2P_LISTEN"); listen && *listen) node();
  }
  ~P2pState() {
    if (node_) node_->cancel_requester(requester);
    for (auto& [_, p] : pending) p->done.Reset();
  }
  libp2p::Node& node() {
    if (!node_) node_ = process_libp2p_node();
    return *node_;
  }

  // Module thread, inside a turn: hands the outcome to the request's JS callback.
  void complete(std::uint32_t id, const std::vector<libp2p::Bytes>& chunks,
                const std::optional<libp2p::Error>& err) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    std::unique_ptr<Pending> p = std::move(it->second);
    pending.erase(it);
    v8::Isolate* isolate = loop->isolate();
    v8::Local<v8::Context> context = loop->context();
    v8::Local<v8::Function> fn = p->done.Get(isolate);
    p->done.Reset();
    v8::Local<v8::Value> argv[2];
    if (err) {
      argv[0] = v8::Exception::Error(to_v8(isolate, err->message));
      argv[1] = v8::Undefined(isolate);
    } else {
      argv[0] = v8::Undefined(isolate);
      auto array = v8::Array::New(isolate, static_cast<int>(chunks.size()));
      for (std::uint32_t i = 0; i < chunks.size(); ++i) {
        auto buffer = v8::ArrayBuffer::New(isolate, host_backing_store(isolate, chunks[i].size()));
        if (!chunks[i].empty())
          std::memcpy(buffer->GetBackingStore()->Data(), chunks[i].data(), chunks[i].size());
        array->Set(context, i, v8::Uint8Array::New(buffer, 0, chunks[i].size())).Check();
      }
      argv[1] = array;
    }
    v8::Local<v8::Value> result;
    // The callback only settles a promise; an exception (none expected) is the turn's to report.
    if (!fn->Call(context, v8::Undefined(isolate), 2, argv).ToLocal(&result)) return;
  }

  std::shared_ptr<libp2p::Node> node_;  // null until node()
  Loop* loop;
  std::shared_ptr<Poster> poster;
  std::string requester;
  std::map<std::uint32_t, std::unique_ptr<Pending>> pending;
  std::uint32_t next = 1;
};

// host.p2pRequest(address, protocol, payload, done) -> id; done(error, chunks) later.
// The argument checks real Zinnia makes in JS are in p2p.js; these are the ones that need
// the multiaddr parser.
std::uint32_t p2p_request(P2pState& s, std::string address, std::string protocol,
                          bind::Bytes payload, v8::Local<v8::Function> done) {
  libp2p::Multiaddr ma;
  try {
    ma = libp2p::Multiaddr::parse(address);
  } catch (const libp2p::DecodeError& e) {
    throw bind::TypeError(std::string("requestProtocol: remoteAddress is not a valid multiaddr: ") +
                          e.what());
  }
  if (ma.peer_multihash().empty())
    throw bind::TypeError("requestProtocol: remoteAddress has no /p2p/<peer id> part: " + address);
  if (protocol.empty()) throw bind::TypeError("requestProtocol: protocolName must not be empty");
  const std::uint32_t id = s.next++;
  auto pending = std::make_unique<P2pState::Pending>();
  pending->done.Reset(s.loop->isolate(), done);
  pending->ref = s.loop->ref();
  P2pState::Pending* p = pending.get();
  s.pending[id] = std::move(pending);
  auto chunks = std::make_shared<std::vector<libp2p::Bytes>>();
  libp2p::RequestOptions opts;
  opts.requester = s.requester;
  P2pState* state = &s;
  std::shared_ptr<Poster> poster = s.poster;
  p->id = s.node().request(
      std::move(address), std::move(protocol),
      libp2p::Bytes(payload.data, payload.data + payload.size),
      [chunks](libp2p::Bytes chunk) { chunks->push_back(std::move(chunk)); },
      [poster, state, id, chunks](std::optional<libp2p::Error> err) {
        // post() refuses once the module has ended; then `state` is gone and is not touched.
        poster->post(
            [state, id, chunks, err = std::move(err)] { state->complete(id, *chunks, err); });
      },
      std::move(opts));
  return id;
}

// host.p2pCancel(id): an AbortSignal fired; the request completes with a cancellation.
void p2p_cancel(P2pState& s, std::uint32_t id) {
  auto it = s.pending.find(id);
  if (it != s.pending.end()) s.node().cancel(it->second->id);
}

// host.p2pPeerId(): Zinnia.peerId's getter (makes the node on first use).
std::string p2p_peer_id(P2pState& s) { return s.node().peer_id(); }

}  // namespace

namespace {
// At exit (every module has ended): the node's thread is joined here, not by g_node's static
// destructor, which runs after OpenSSL's own exit handler (registered when OpenSSL was set up,
// before the node) has freed what the node's thread may still be decrypting with. Registered
// after the node is made, so it runs before that handler. A retrieval still holding the node
// (cancelled, not yet ended) releases it with the retrieval service's own exit handler.
void release_node_at_exit() {
  std::shared_ptr<libp2p::Node> last;
  {
    std::lock_guard lock(g_mu);
    last.swap(g_node);
  }
}
}  // namespace

std::shared_ptr<libp2p::Node> process_libp2p_node() {
  std::lock_guard lock(g_mu);
  if (g_node) return g_node;
  libp2p::NodeOptions o;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the process never setenv()s
  if (const char* listen = std::getenv("ZINNIA_LIBP2P_LISTEN")) o.listen = split_addrs(listen);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the process never setenv()s
  if (const char* debug = std::getenv("ZINNIA_LIBP2P_DEBUG");
      debug && *debug && std::strcmp(debug, "0") != 0)
    g_debug_stderr = true;
  o.log = [](const std::string& line) {
    std::lock_guard log_lock(g_log_mu);
    if (g_log)
      g_log(line);
    else if (g_debug_stderr)
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  try {
    g_node = std::make_shared<libp2p::Node>(o);
  } catch (const std::exception& e) {
    // A bad ZINNIA_LIBP2P_LISTEN must not stop every module: the node runs without it.
    std::fprintf(stderr, "zinnia: %s (ZINNIA_LIBP2P_LISTEN); the libp2p node does not listen\n",
                 e.what());
    o.listen.clear();
    g_node = std::make_shared<libp2p::Node>(o);
  }
  static const bool registered = std::atexit(release_node_at_exit) == 0;
  (void)registered;
  return g_node;
}

void set_process_libp2p_log(std::function<void(const std::string&)> log) {
  std::lock_guard lock(g_log_mu);
  g_log = std::move(log);
}

std::optional<libp2p::NodeStats> process_libp2p_stats() {
  std::lock_guard lock(g_mu);
  if (!g_node) return std::nullopt;
  return g_node->stats();
}

const bind::Extension& p2p_extension() {
  static const bind::Extension ext = bind::with_state<P2pState>({
      .name = "p2p",
      .js = {"engine/p2p/js/p2p.js"},
      .natives = {bind::native<"p2pRequest", &p2p_request>(),
                  bind::native<"p2pCancel", &p2p_cancel>(),
                  bind::native<"p2pPeerId", &p2p_peer_id>()},
  });
  return ext;
}

}  // namespace zinnia::engine
