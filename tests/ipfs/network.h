#pragma once
// The loopback IPFS network of the tests (tests/peers/ipfs/gateway.mjs on the machine's node):
// trustless gateways that behave or lie, an IPNI stand-in, and a retrieval driver that runs a
// Retriever on its own libuv loop until the retrieval is over.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/ipfs/car.h"
#include "engine/ipfs/retriever.h"
#include "tests/support/process.h"
#include "tests/support/require.h"

namespace zinnia::ipfs::testing {

inline std::filesystem::path peers_dir() {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/peers/ipfs";
}

inline bool peers_installed() {
  return std::filesystem::exists(peers_dir() / "node_modules/@ipld/car/package.json");
}

// A blocking GET with libcurl; the body, or nullopt on a transport error.
inline std::optional<std::string> http_get(const std::string& url, const std::string& accept = "",
                                           const std::string& post = "") {
  CURL* e = curl_easy_init();
  std::string body;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_slist* h = nullptr;
  if (!accept.empty()) h = curl_slist_append(h, ("Accept: " + accept).c_str());
  if (!post.empty()) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, post.c_str());
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  CURLcode rc = curl_easy_perform(e);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  if (rc != CURLE_OK) return std::nullopt;
  return body;
}

class Network {
 public:
  explicit Network(std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"node", (peers_dir() / "gateway.mjs").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    node_ = std::make_unique<zinnia::testing::Process>(argv, zinnia::testing::current_env());
    if (!node_->wait_out([](const std::string& o) { return o.find('\n') != std::string::npos; },
                         std::chrono::seconds(60)))
      throw std::runtime_error("gateway.mjs did not start: " + node_->err());
    info_ = nlohmann::json::parse(node_->out().substr(0, node_->out().find('\n')));
  }
  int port(const std::string& mode) const { return info_["gateways"][mode].get<int>(); }
  std::string addr(const std::string& mode) const {
    return "/ip4/127.0.0.1/tcp/" + std::to_string(port(mode)) + "/http";
  }
  std::string cid(const std::string& name) const { return info_["cids"][name].get<std::string>(); }
  std::string ipni_url() const {
    return "http://127.0.0.1:" + std::to_string(info_["ipni"].get<int>());
  }
  // ipfs://<cid of name><rest>, with providers=<the modes' addresses> added to the query.
  std::string url(const std::string& name, const std::string& rest,
                  const std::vector<std::string>& modes) const {
    std::string u = "ipfs://" + cid(name) + rest;
    if (modes.empty()) return u;
    u += rest.find('?') == std::string::npos ? "?providers=" : "&providers=";
    for (std::size_t i = 0; i < modes.size(); ++i) u += (i ? "," : "") + addr(modes[i]);
    return u;
  }
  // The CAR the well-behaved gateway (`mode`) answers, fetched directly.
  std::string gateway_car(const std::string& mode, const std::string& path_and_query) const {
    auto body = http_get("http://127.0.0.1:" + std::to_string(port(mode)) + path_and_query,
                         "application/vnd.ipld.car");
    return body.value_or("");
  }
  std::string raw(const std::string& name) const {
    return http_get("http://127.0.0.1:" + std::to_string(port("good")) + "/raw/" + name)
        .value_or("");
  }
  void routes(const nlohmann::json& table) const {
    http_get(ipni_url() + "/routes", "", table.dump());
  }
  const nlohmann::json& info() const { return info_; }

 private:
  std::unique_ptr<zinnia::testing::Process> node_;
  nlohmann::json info_;
};

inline bool bitswap_peers_installed() {
  return std::filesystem::exists(std::filesystem::path(ZINNIA_SOURCE_DIR) /
                                 "tests/peers/bitswap/node_modules/@helia/bitswap/package.json");
}

// js-libp2p nodes with @helia/bitswap (tests/peers/bitswap/provider.mjs) serving the DAGs of
// `net`'s gateway: modes good, wrongblock (every block but the roots altered), empty (no
// blocks: DONT_HAVE).
class BitswapPeers {
 public:
  explicit BitswapPeers(const Network& net) {
    std::vector<std::string> argv = {
        "node",
        (std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/peers/bitswap/provider.mjs").string(),
        "--gateway", "http://127.0.0.1:" + std::to_string(net.port("good"))};
    for (auto& [name, cid] : net.info()["cids"].items())
      if (name != "absent") argv.push_back(cid.get<std::string>());
    node_ = std::make_unique<zinnia::testing::Process>(argv, zinnia::testing::current_env());
    if (!node_->wait_out([](const std::string& o) { return o.find('\n') != std::string::npos; },
                         std::chrono::seconds(60)))
      throw std::runtime_error("provider.mjs did not start: " + node_->err());
    info_ = nlohmann::json::parse(node_->out().substr(0, node_->out().find('\n')));
  }
  // The multiaddr (with /p2p) of a mode's node.
  std::string addr(const std::string& mode) const {
    return info_["peers"][mode].get<std::string>();
  }

 private:
  std::unique_ptr<zinnia::testing::Process> node_;
  nlohmann::json info_;
};

struct Result {
  int status = 0;
  std::string message;
  std::string car;
  bool ended = false;
  std::string error;
  std::vector<std::string> dropped;  // "address: reason"
  int responses = 0;
  int calls_after_over = 0;
};

struct Options {
  RetrieverConfig config;
  bool pause_each = false;             // on_data answers false; resumed on a later turn
  std::size_t cancel_after_bytes = 0;  // cancel once this many bytes arrived
  std::chrono::seconds deadline{60};
};

class RecordingSink : public RetrievalSink {
 public:
  RecordingSink(Result& r, std::function<bool(RecordingSink&)> on_chunk)
      : r_(r), on_chunk_(std::move(on_chunk)) {}
  void on_response(int status, const std::string& message) override {
    if (over) ++r_.calls_after_over;
    ++r_.responses;
    r_.status = status;
    r_.message = message;
    if (status != 200) over = true;
  }
  bool on_data(ByteView car) override {
    if (over) ++r_.calls_after_over;
    r_.car.append(as_chars(car));
    return on_chunk_(*this);
  }
  void on_end() override {
    if (over) ++r_.calls_after_over;
    r_.ended = true;
    over = true;
  }
  void on_error(const std::string& message) override {
    if (over) ++r_.calls_after_over;
    r_.error = message;
    over = true;
  }
  void on_provider_failed(const Provider& p, const std::string& reason) override {
    r_.dropped.push_back(p.address + ": " + reason);
  }
  bool over = false;
  Result& result() { return r_; }

 private:
  Result& r_;
  std::function<bool(RecordingSink&)> on_chunk_;
};

// Runs retrievals of `urls` at once on one Retriever and loop; returns their results.
inline std::vector<Result> retrieve_all(const std::vector<std::string>& urls, Options opt = {}) {
  std::vector<Result> results(urls.size());
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Retriever retriever(&loop, opt.config);
    std::vector<RecordingSink*> sinks;
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < urls.size(); ++i) {
      auto* idp = new std::uint32_t(0);  // owned by the lambda below via shared_ptr
      std::shared_ptr<std::uint32_t> id(idp);
      auto sink = std::make_unique<RecordingSink>(
          results[i], [&retriever, &loop, &opt, id](RecordingSink& s) {
            if (opt.cancel_after_bytes && s.result().car.size() >= opt.cancel_after_bytes) {
              retriever.cancel(*id);
              s.over = true;
              return true;
            }
            if (!opt.pause_each) return true;
            // Resume from a later turn of the loop, as a reader that is not always there.
            auto* t = new uv_timer_t;
            uv_timer_init(&loop, t);
            t->data = new std::pair<Retriever*, std::uint32_t>(&retriever, *id);
            uv_timer_start(
                t,
                [](uv_timer_t* h) {
                  auto* p = static_cast<std::pair<Retriever*, std::uint32_t>*>(h->data);
                  p->first->resume(p->second);
                  delete p;
                  uv_close(reinterpret_cast<uv_handle_t*>(h),
                           [](uv_handle_t* x) { delete reinterpret_cast<uv_timer_t*>(x); });
                },
                1, 0);
            return false;
          });
      sinks.push_back(sink.get());
      *id = retriever.start(urls[i], std::move(sink));
    }
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    uv_timer_start(
        &deadline, [](uv_timer_t* h) { uv_stop(h->loop); },
        static_cast<std::uint64_t>(opt.deadline.count() * 1000), 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&deadline));
    while (retriever.active() > 0) {
      if (uv_run(&loop, UV_RUN_ONCE) == 0 && retriever.active() > 0) {
        ADD_FAILURE() << "the loop ran dry with " << retriever.active() << " retrievals left";
        break;
      }
      if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline))) {
        ADD_FAILURE() << "retrievals still running after the deadline";
        break;
      }
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    retriever.shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0) << "a uv handle was left open";
  return results;
}

inline Result retrieve(const std::string& url, Options opt = {}) {
  return retrieve_all({url}, std::move(opt))[0];
}

// The blocks of a CAR, in order.
struct CarContent {
  std::vector<Cid> roots;
  std::vector<std::pair<Cid, std::string>> blocks;
};
inline CarContent read_car(const std::string& bytes) {
  CarContent c;
  CarReader reader([&](std::vector<Cid> roots) { c.roots = std::move(roots); },
                   [&](const Cid& cid, ByteView data) {
                     c.blocks.emplace_back(cid, std::string(as_chars(data)));
                   });
  reader.feed(as_bytes(bytes));
  reader.finish();
  return c;
}

// CARs are compared whole; a failure prints sizes and where they part, not the bytes.
inline ::testing::AssertionResult same_car(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return ::testing::AssertionFailure() << "CAR of " << got.size() << " bytes, expected "
                                       << want.size() << "; they differ from byte " << i;
}
#define EXPECT_CAR(got, want) EXPECT_TRUE(::zinnia::ipfs::testing::same_car((got), (want)))

}  // namespace zinnia::ipfs::testing
