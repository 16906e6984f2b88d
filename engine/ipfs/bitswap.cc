#include "engine/ipfs/bitswap.h"

#include "engine/libp2p/node.h"

namespace zinnia::ipfs::bitswap {

Inbox::~Inbox() { close(); }

Inbox::Inbox(uv_loop_t* loop, std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {
  async_ = new uv_async_t;
  async_->data = this;
  uv_async_init(loop, async_, [](uv_async_t* a) {
    auto* self = static_cast<Inbox*>(a->data);
    if (self && self->on_ready_) self->on_ready_();
  });
}

void Inbox::close() {
  uv_async_t* a = nullptr;
  {
    std::lock_guard lock(mu_);
    a = async_;
    async_ = nullptr;
    events_.clear();
  }
  if (!a) return;
  a->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(a),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void Inbox::post(Event e) {
  std::lock_guard lock(mu_);
  if (!async_) return;
  events_.push_back(std::move(e));
  uv_async_send(async_);
}

std::deque<Event> Inbox::take() {
  std::lock_guard lock(mu_);
  std::deque<Event> out;
  out.swap(events_);
  return out;
}

std::shared_ptr<Client> Client::of(const std::shared_ptr<libp2p::Node>& node) {
  struct Entry {
    std::weak_ptr<libp2p::Node> node;
    std::weak_ptr<Client> client;
  };
  static std::mutex mu;
  static std::map<const libp2p::Node*, Entry> clients;
  std::lock_guard lock(mu);
  std::erase_if(clients, [](const auto& kv) { return kv.second.node.expired(); });
  auto& e = clients[node.get()];
  if (auto c = e.client.lock(); c && !e.node.expired()) return c;
  auto c = std::make_shared<Client>();
  e = {node, c};
  // The node's handlers keep the client alive as long as the node lives.
  for (auto protocol : {kProtocol, kProtocol11})
    node->handle(std::string(protocol),
                 {.on_data = [c](std::uint64_t stream, const std::string& peer,
                                 libp2p::Bytes chunk) { c->on_data(stream, peer, chunk); },
                  .on_end = [c](std::uint64_t stream, bool) { c->on_end(stream); }});
  return c;
}

void Client::subscribe(const std::string& peer, const std::shared_ptr<Inbox>& inbox) {
  std::lock_guard lock(mu_);
  inboxes_.emplace(peer, inbox);
}

void Client::unsubscribe(const std::string& peer, const Inbox* inbox) {
  std::lock_guard lock(mu_);
  auto [b, e] = inboxes_.equal_range(peer);
  for (auto it = b; it != e;) {
    auto locked = it->second.lock();
    if (!locked || locked.get() == inbox)
      it = inboxes_.erase(it);
    else
      ++it;
  }
}

void Client::wanted(const std::string& peer, const std::string& cid_key) {
  std::lock_guard lock(mu_);
  if (recent_.size() > 1024 && !recent_.count(peer)) recent_.clear();  // bounded in peers too
  RecentWants& r = recent_[peer];
  if (!r.keys.insert(cid_key).second) return;
  r.order.push_back(cid_key);
  if (r.order.size() > kRecentWants) {
    r.keys.erase(r.order.front());
    r.order.pop_front();
  }
}

bool Client::was_wanted(const std::string& peer, const std::string& cid_key) {
  std::lock_guard lock(mu_);
  auto it = recent_.find(peer);
  return it != recent_.end() && it->second.keys.count(cid_key) != 0;
}

void Client::on_data(std::uint64_t stream, const std::string& peer, ByteView chunk) {
  auto& st = streams_[stream];
  if (st.peer.empty()) st.peer = peer;
  if (st.bad) return;
  std::vector<Event> events;
  try {
    st.framer.feed(chunk);
    while (auto msg = st.framer.next()) events.push_back({decode_message(*msg), {}, false});
  } catch (const Error& e) {
    // The rest of this stream cannot be framed: drop it, and tell whoever waits on the peer.
    st.bad = true;
    st.framer = Framer();
    events.push_back({std::nullopt, e.what(), false});
  }
  if (events.empty()) return;
  std::vector<std::shared_ptr<Inbox>> targets;
  {
    std::lock_guard lock(mu_);
    auto [b, e] = inboxes_.equal_range(peer);
    for (auto it = b; it != e; ++it)
      if (auto in = it->second.lock()) targets.push_back(std::move(in));
  }
  for (auto& ev : events) {
    ev.shared = targets.size() > 1;
    if (targets.empty()) continue;
    for (std::size_t i = 0; i + 1 < targets.size(); ++i) targets[i]->post(ev);
    targets.back()->post(std::move(ev));  // the last one takes it
  }
}

void Client::on_end(std::uint64_t stream) { streams_.erase(stream); }

}  // namespace zinnia::ipfs::bitswap
