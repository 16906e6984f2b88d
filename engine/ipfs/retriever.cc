#include "engine/ipfs/retriever.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "engine/ipfs/bitswap.h"
#include "engine/ipfs/car.h"
#include "engine/ipfs/ipni.h"
#include "engine/ipfs/multibase.h"
#include "engine/ipfs/traversal.h"
#include "engine/libp2p/node.h"

namespace zinnia::ipfs {

namespace {

constexpr std::size_t kMaxIpniAnswer = std::size_t{16} * 1024 * 1024;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): no setenv
  if (!v || !*v) return fallback;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v, v + std::strlen(v), n);
  if (ec != std::errc() || *ptr != '\0')
    throw Error(std::string(name) + "=" + v + ": expected a non-negative integer");
  return n;
}

}  // namespace

RetrieverConfig RetrieverConfig::from_env() {
  RetrieverConfig c;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): no setenv
  if (const char* url = std::getenv("ZINNIA_IPNI_URL"); url && *url) {
    std::string u = url;
    if (!u.starts_with("http://") && !u.starts_with("https://"))
      throw Error(std::string("ZINNIA_IPNI_URL=") + url + ": expected an http(s):// URL");
    while (u.ends_with('/')) u.pop_back();
    c.ipni_url = u;
  }
  c.provider_timeout = std::chrono::milliseconds(
      env_number("ZINNIA_IPFS_PROVIDER_TIMEOUT_MS", c.provider_timeout.count()));
  c.global_timeout =
      std::chrono::milliseconds(env_number("ZINNIA_IPFS_TIMEOUT_MS", c.global_timeout.count()));
  c.max_bytes = env_number("ZINNIA_IPFS_MAX_BYTES", c.max_bytes);
  return c;
}

// One retrieval: the IPNI lookup, then one attempt per provider until one completes.
struct Retrieval {
  Retriever& owner;
  std::uint32_t id;
  std::unique_ptr<RetrievalSink> sink;
  RetrievalRequest request;
  std::vector<Provider> candidates;
  std::size_t next_candidate = 0;

  // The current transfer (IPNI or a provider).
  curl::Easy easy;
  curl::Slist headers;
  bool in_flight = false;
  bool ipni_phase = false;
  std::string ipni_body;
  const Provider* provider = nullptr;
  std::optional<CarReader> reader;
  std::optional<Traversal> traversal;
  std::size_t attempt_fresh = 0;  // new blocks this attempt has verified
  std::string attempt_error;      // set when the write callback gave up on the provider
  bool checked_status = false;
  Bytes out;
  char errbuf[CURL_ERROR_SIZE] = {};

  // What the caller has been given.
  bool responded = false;
  std::size_t emitted_blocks = 0;
  std::uint64_t bytes_out = 0;
  bool sink_full = false;
  bool curl_paused = false;
  bool over = false;  // finished, failed or cancelled: no more sink calls

  std::string last_error;
  std::size_t failures = 0, timeouts = 0;
  uv_timer_t* provider_timer = nullptr;
  uv_timer_t* global_timer = nullptr;

  // The current Bitswap attempt: blocks asked for and blocks received ahead of the walk.
  bool bs_active = false;
  std::string bs_peer;  // base58
  std::shared_ptr<libp2p::Node> bs_node;
  std::shared_ptr<bitswap::Client> bs_client;
  std::shared_ptr<bitswap::Inbox> bs_inbox;
  std::unordered_map<std::string, Cid> bs_wanted;
  std::unordered_map<std::string, bitswap::Block> bs_have;

  Retrieval(Retriever& o, std::uint32_t i, std::unique_ptr<RetrievalSink> s)
      : owner(o), id(i), sink(std::move(s)) {}
  ~Retrieval() {
    stop_transfer();
    curl::close_timer(provider_timer);
    curl::close_timer(global_timer);
  }

  void stop_transfer() {
    if (bs_active)
      stop_bitswap();
    else if (in_flight && easy)
      owner.curl_.remove(easy.get());
    in_flight = false;
  }

  void stop_bitswap() {
    if (!bs_active) return;
    bs_active = false;
    in_flight = false;
    if (bs_client) bs_client->unsubscribe(bs_peer, bs_inbox.get());
    if (bs_inbox) bs_inbox->close();
    bs_inbox.reset();
    bs_client.reset();
    bs_wanted.clear();
    bs_have.clear();
  }

  void begin() {
    uv_loop_t* loop = owner.curl_.uv();
    provider_timer = curl::new_timer(loop, this);
    if (owner.config_.global_timeout.count() > 0) {
      global_timer = curl::new_timer(loop, this);
      uv_timer_start(
          global_timer,
          [](uv_timer_t* h) { static_cast<Retrieval*>(h->data)->on_global_timeout(); },
          static_cast<std::uint64_t>(owner.config_.global_timeout.count()), 0);
    }
    if (!request.providers.empty()) {
      candidates = request.providers;
      next_provider();
      return;
    }
    lookup_ipni();
  }

  CURL* new_easy(const std::string& url) {
    // The previous transfer may have been stopped midway (paused): it is not reused.
    easy.reset();
    easy = owner.curl_.take_easy();
    if (!easy) return nullptr;
    CURL* e = easy.get();
    errbuf[0] = 0;
    curl::easy_setopt(e, CURLOPT_URL, url.c_str());
    curl::easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl::easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl::easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl::easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl::easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl::easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl::easy_setopt(e, CURLOPT_USERAGENT, owner.config_.user_agent.c_str());
    curl::easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl::easy_setopt(e, CURLOPT_WRITEDATA, this);
    return e;
  }

  void lookup_ipni() {
    ipni_phase = true;
    std::string url = owner.config_.ipni_url + "/cid/" + request.root_text;
    CURL* e = new_easy(url);
    if (!e) return fail_all(502, "cannot start the IPNI lookup");
    headers.reset(curl::slist_append(nullptr, "Accept: application/json"));
    curl::easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
    curl::easy_setopt(
        e, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
          auto* r = static_cast<Retrieval*>(u);
          if (r->ipni_body.size() + s * n > kMaxIpniAnswer) return 0;
          r->ipni_body.append(d, s * n);
          return s * n;
        });
    arm_provider_timer();
    in_flight = owner.curl_.add(e, [this](CURLcode rc) { on_ipni_done(rc); });
    if (!in_flight) fail_all(502, "cannot start the IPNI lookup");
  }

  void on_ipni_done(CURLcode rc) {
    in_flight = false;
    uv_timer_stop(provider_timer);
    ipni_phase = false;
    std::string where = "IPNI lookup at " + owner.config_.ipni_url;
    if (rc != CURLE_OK) {
      std::string why = errbuf[0] ? errbuf : curl::easy_strerror(rc);
      return fail_all(rc == CURLE_OPERATION_TIMEDOUT ? 504 : 502,
                      "retrieving " + request.root_text + ": " + where + " failed: " + why);
    }
    long status = 0;
    curl::easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status == 404)
      return fail_all(404, "no providers found for " + request.root_text + " (" + where + ")");
    if (status != 200)
      return fail_all(502, "retrieving " + request.root_text + ": " + where + " answered HTTP " +
                               std::to_string(status));
    try {
      candidates = parse_ipni_response(ipni_body, request);
    } catch (const Error& e) {
      return fail_all(502, "retrieving " + request.root_text + ": " + where + ": " + e.what());
    }
    ipni_body.clear();
    if (candidates.empty())
      return fail_all(404, "no providers found for " + request.root_text + " (" + where +
                               " lists none for the protocols asked)");
    next_provider();
  }

  void next_provider() {
    while (next_candidate < candidates.size() && !over) {
      provider = &candidates[next_candidate++];
      bool started = false;
      switch (provider->protocol) {
        case Protocol::kHttp:
          started = start_http();
          break;
        case Protocol::kBitswap:
          started = start_bitswap();
          break;
        case Protocol::kGraphsync:
          record_failure("protocol graphsync is not supported (only http and bitswap)", false);
          break;
      }
      if (started) return;
    }
    if (over) return;
    std::string message = "retrieving " + request.root_text + ": every provider failed (" +
                          std::to_string(failures) + ")" +
                          (last_error.empty() ? "" : "; last: " + last_error);
    fail_all(timeouts > 0 && timeouts == failures ? 504 : 502, message);
  }

  // --- Bitswap -------------------------------------------------------------------------------

  bool start_bitswap() {
    if (!owner.config_.libp2p_node) {
      record_failure("protocol bitswap is not supported (no libp2p node)", false);
      return false;
    }
    try {
      bs_peer = provider->peer_id;
      if (!bs_peer.empty() && bs_peer[0] != 'Q' && bs_peer[0] != '1')
        bs_peer = base58btc_encode(Cid::parse(bs_peer).multihash_bytes());
      if (!bs_node) bs_node = owner.config_.libp2p_node();
      if (!bs_node) throw Error("no libp2p node");
      bs_client = bitswap::Client::of(bs_node);
    } catch (const std::exception& e) {
      record_failure(std::string("bitswap: ") + e.what(), false);
      return false;
    }
    bs_inbox = std::make_shared<bitswap::Inbox>(owner.curl_.uv(), [this] { on_bitswap(); });
    bs_client->subscribe(bs_peer, bs_inbox);
    bs_active = true;
    in_flight = true;
    reader.reset();
    traversal.emplace(request.root, request.selector);
    attempt_fresh = 0;
    attempt_error.clear();
    arm_provider_timer();
    owner.curl_.defer([this, id = id] {
      if (owner.retrievals_.count(id)) bitswap_pump();
    });
    return true;
  }

  // Walks every block received that the walk needs next, then asks for the next ones.
  void bitswap_pump() {
    if (over || !bs_active) return;
    for (;;) {
      if (sink_full) {
        uv_timer_stop(provider_timer);  // the caller is not reading: the provider waits
        return;
      }
      bool done = false;
      try {
        std::vector<Cid> next = traversal->upcoming(1);
        if (next.empty()) {
          done = true;
        } else {
          auto it = bs_have.find(next[0].key());
          if (it == bs_have.end()) break;
          bitswap::Block b = std::move(it->second);
          bs_have.erase(it);
          on_block(b.cid, b.data);
        }
      } catch (const Error& e) {
        out.clear();
        return provider_failed(e.what(), false);
      }
      if (done) {
        stop_bitswap();
        return succeed();
      }
      deliver();
      if (over) return;
    }
    const std::size_t window = std::max<std::size_t>(1, owner.config_.bitswap_window);
    const std::size_t outstanding = bs_wanted.size() + bs_have.size();
    // Top up in batches: every wantlist is a stream, and the provider answers each with one.
    if (outstanding > window / 2) return;
    std::vector<bitswap::WantEntry> entries;
    for (Cid& c : traversal->upcoming(window)) {
      if (outstanding + entries.size() >= window) break;
      std::string k = c.key();
      if (bs_wanted.count(k) || bs_have.count(k)) continue;
      entries.push_back({.cid = c});
      bs_client->wanted(bs_peer, k);
      bs_wanted.emplace(std::move(k), std::move(c));
    }
    if (entries.empty()) return;
    std::weak_ptr<bitswap::Inbox> inbox = bs_inbox;
    bs_node->request(provider->address, std::string(bitswap::kProtocol),
                     bitswap::encode_wantlist(entries, false), nullptr,
                     [inbox](std::optional<libp2p::Error> err) {
                       // The provider closes its side once it has the wantlist; blocks come on its
                       // own stream. A timeout or cancellation says nothing about it.
                       if (!err || err->kind == libp2p::Error::Kind::kTimeout ||
                           err->kind == libp2p::Error::Kind::kCancelled)
                         return;
                       if (auto in = inbox.lock()) in->post({std::nullopt, err->message, false});
                     },
                     {.requester = "ipfs-bitswap",
                      .timeout = owner.config_.provider_timeout,
                      .max_response = 1 << 20});
  }

  void on_bitswap() {
    if (!bs_inbox) return;
    std::deque<bitswap::Event> events = bs_inbox->take();
    for (auto& ev : events) {
      if (over || !bs_active) return;
      if (!ev.message) return provider_failed(ev.error, false);
      bool useful = false;
      for (auto& p : ev.message->presences) {
        if (p.have || !bs_wanted.count(p.cid.key())) continue;
        return provider_failed("it does not have block " + p.cid.to_string() + " (DONT_HAVE)",
                               false);
      }
      for (auto& b : ev.message->blocks) {
        auto it = bs_wanted.find(b.cid.key());
        if (it == bs_wanted.end()) {
          // A repeat (a provider answering two wantlists at once may send a block twice, and
          // the second copy may come after its retrieval ended), or another retrieval's.
          if (ev.shared || bs_have.count(b.cid.key()) || traversal->seen(b.cid) ||
              bs_client->was_wanted(bs_peer, b.cid.key()))
            continue;
          return provider_failed("sent block " + b.cid.to_string() +
                                     ", which is none of the blocks asked for (a block that "
                                     "does not hash to its CID, or an unrequested one)",
                                 false);
        }
        bs_wanted.erase(it);
        std::string k = b.cid.key();
        bs_have.emplace(std::move(k), std::move(b));
        useful = true;
      }
      if (useful && !sink_full) arm_provider_timer();
    }
    bitswap_pump();
  }

  bool start_http() {
    std::string url = provider->http_base + request.gateway_path();
    CURL* e = new_easy(url);
    if (!e) {
      record_failure("cannot start an HTTP transfer", false);
      return false;
    }
    curl_slist* list =
        curl::slist_append(nullptr, "Accept: application/vnd.ipld.car;version=1;order=dfs;dups=y");
    headers.reset(list);
    curl::easy_setopt(e, CURLOPT_HTTPHEADER, list);
    curl::easy_setopt(e, CURLOPT_WRITEFUNCTION, &Retrieval::on_write);
    reader.emplace([this](const std::vector<Cid>& roots) { on_roots(roots); },
                   [this](const Cid& cid, ByteView data) { on_block(cid, data); });
    traversal.emplace(request.root, request.selector);
    attempt_fresh = 0;
    attempt_error.clear();
    checked_status = false;
    curl_paused = false;
    arm_provider_timer();
    in_flight = owner.curl_.add(e, [this](CURLcode rc) { on_http_done(rc); });
    if (!in_flight) {
      record_failure("curl refused the transfer", false);
      return false;
    }
    return true;
  }

  void on_roots(const std::vector<Cid>& roots) {
    for (auto& r : roots)
      if (r.same_content(request.root)) return;
    throw Error("the CAR's root is " +
                (roots.empty() ? std::string("missing") : roots[0].to_string()) + ", not " +
                request.root.to_string());
  }

  void on_block(const Cid& cid, ByteView data) {
    if (!traversal->accept(cid, data)) return;
    if (attempt_fresh++ < emitted_blocks) return;  // the caller has it from an earlier provider
    ++emitted_blocks;
    car_section(out, cid, data);
  }

  static size_t on_write(char* data, size_t size, size_t count, void* userp) {
    return static_cast<Retrieval*>(userp)->write(reinterpret_cast<const std::uint8_t*>(data),
                                                 size * count);
  }

  size_t write(const std::uint8_t* data, size_t len) {
    if (over) return 0;
    if (!checked_status) {
      checked_status = true;
      long status = 0;
      curl::easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
      if (status != 200) {
        attempt_error = "HTTP " + std::to_string(status);
        return 0;
      }
    }
    if (sink_full) {
      // The caller is not reading: curl keeps this chunk, and the provider is not to blame.
      curl_paused = true;
      uv_timer_stop(provider_timer);
      return CURL_WRITEFUNC_PAUSE;
    }
    arm_provider_timer();
    try {
      reader->feed(ByteView(data, len));
    } catch (const Error& e) {
      attempt_error = e.what();
      out.clear();
      return 0;
    }
    deliver();
    return over ? 0 : len;
  }

  void deliver() {
    if (out.empty()) return;
    Bytes chunk;
    if (!responded) {
      responded = true;
      sink->on_response(200, "");
      if (over) return;
      chunk = car_header({request.root});
      chunk.insert(chunk.end(), out.begin(), out.end());
    } else {
      chunk.swap(out);
    }
    out.clear();
    bytes_out += chunk.size();
    if (owner.config_.max_bytes > 0 && bytes_out > owner.config_.max_bytes) {
      fail_all(502, "retrieving " + request.root_text + ": the response exceeds the limit of " +
                        std::to_string(owner.config_.max_bytes) + " bytes");
      return;
    }
    if (!sink->on_data(chunk)) sink_full = true;
  }

  void on_http_done(CURLcode rc) {
    in_flight = false;
    uv_timer_stop(provider_timer);
    if (over) return;
    if (!attempt_error.empty()) return provider_failed(attempt_error, false);
    if (rc != CURLE_OK) {
      std::string why = errbuf[0] ? errbuf : curl::easy_strerror(rc);
      return provider_failed(why, rc == CURLE_OPERATION_TIMEDOUT);
    }
    long status = 0;
    curl::easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return provider_failed("HTTP " + std::to_string(status), false);
    try {
      reader->finish();
      traversal->finish();
    } catch (const Error& e) {
      return provider_failed(e.what(), false);
    }
    succeed();
  }

  void succeed() {
    if (attempt_fresh < emitted_blocks)
      return provider_failed("sent fewer blocks than an earlier provider", false);
    if (!responded) {
      // A DAG whose blocks were all inline (identity CIDs): the CAR is its header.
      responded = true;
      sink->on_response(200, "");
      if (over) return;
      Bytes header = car_header({request.root});
      bytes_out += header.size();
      sink->on_data(header);
      if (over) return;
    }
    over = true;
    sink->on_end();
    owner.finish(*this);
  }

  void provider_failed(const std::string& reason, bool timed_out) {
    record_failure(reason, timed_out);
    if (over) return;
    next_provider();
  }

  // Counts a dropped provider and tells the sink; the caller moves on.
  void record_failure(const std::string& reason, bool timed_out) {
    stop_bitswap();
    ++failures;
    if (timed_out) ++timeouts;
    std::string who = provider ? provider->address : std::string("provider");
    last_error = who + ": " + reason;
    reader.reset();
    traversal.reset();
    if (provider) sink->on_provider_failed(*provider, reason);
  }

  void arm_provider_timer() {
    if (owner.config_.provider_timeout.count() <= 0) return;
    uv_timer_start(
        provider_timer,
        [](uv_timer_t* h) { static_cast<Retrieval*>(h->data)->on_provider_timeout(); },
        static_cast<std::uint64_t>(owner.config_.provider_timeout.count()), 0);
  }

  void on_provider_timeout() {
    if (over || !in_flight) return;
    stop_transfer();
    std::string why = "no data for " + std::to_string(owner.config_.provider_timeout.count()) +
                      " ms (provider timeout)";
    if (ipni_phase) {
      ipni_phase = false;
      return fail_all(504, "retrieving " + request.root_text + ": IPNI lookup at " +
                               owner.config_.ipni_url + " timed out");
    }
    provider_failed(why, true);
  }

  void on_global_timeout() {
    if (over) return;
    stop_transfer();
    fail_all(504, "retrieving " + request.root_text + ": timed out after " +
                      std::to_string(owner.config_.global_timeout.count()) + " ms");
  }

  void fail_all(int status, const std::string& message) {
    if (over) return;
    over = true;
    stop_transfer();
    if (!responded) {
      responded = true;
      sink->on_response(status, message);
    } else {
      sink->on_error(message);
    }
    owner.finish(*this);
  }

  void resume() {
    sink_full = false;
    if (bs_active) {
      arm_provider_timer();
      return bitswap_pump();
    }
    if (!curl_paused || !in_flight) return;
    curl_paused = false;
    arm_provider_timer();
    curl::easy_pause(easy.get(), CURLPAUSE_CONT);  // may deliver the held chunk at once
  }
};

Retriever::Retriever(uv_loop_t* loop, RetrieverConfig config)
    : config_(std::move(config)),
      own_curl_(std::make_unique<curl::CurlLoop>(loop)),
      curl_(*own_curl_) {}

Retriever::Retriever(curl::CurlLoop& shared, RetrieverConfig config)
    : config_(std::move(config)), curl_(shared) {}

Retriever::~Retriever() { shutdown(); }

std::uint32_t Retriever::start(std::string_view url, std::unique_ptr<RetrievalSink> sink) {
  std::uint32_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  auto r = std::make_unique<Retrieval>(*this, id, std::move(sink));
  Retrieval* raw = r.get();
  retrievals_.emplace(id, std::move(r));
  std::string text(url);
  curl_.defer([this, id, raw, text] {
    if (!retrievals_.count(id)) return;  // cancelled before it began
    try {
      raw->request = parse_ipfs_url(text);
    } catch (const Error& e) {
      raw->fail_all(400, e.what());
      return;
    }
    raw->begin();
  });
  return id;
}

void Retriever::resume(std::uint32_t id) {
  auto it = retrievals_.find(id);
  if (it == retrievals_.end()) return;
  Retrieval* r = it->second.get();
  if (!r->curl_paused && !r->bs_active) {
    r->sink_full = false;
    return;
  }
  curl_.defer([this, id] {
    auto it2 = retrievals_.find(id);
    if (it2 != retrievals_.end()) it2->second->resume();
  });
}

void Retriever::cancel(std::uint32_t id) {
  auto it = retrievals_.find(id);
  if (it == retrievals_.end()) return;
  it->second->over = true;
  finish(*it->second);
}

void Retriever::finish(Retrieval& r) {
  // Freed on a later turn: this may run inside curl's callbacks or the sink's.
  std::uint32_t id = r.id;
  r.over = true;
  curl_.defer([this, id] { retrievals_.erase(id); });
}

void Retriever::shutdown() {
  retrievals_.clear();
  if (own_curl_) own_curl_->shutdown();
}

}  // namespace zinnia::ipfs
