#pragma once
// Retrieval of `ipfs://` URLs as Lassie serves them: providers from the request or from an IPNI
// indexer, tried one after another over the trustless-gateway HTTP protocol; every block is
// verified by a Traversal before its bytes are passed on as a CARv1 stream. V8-free: runs on
// any libuv loop, on that loop's thread only.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "engine/curl/curl_loop.h"
#include "engine/ipfs/request.h"

namespace zinnia::libp2p {
class Node;
}

namespace zinnia::ipfs {

struct RetrieverConfig {
  std::string ipni_url = "https://cid.contact";
  // A provider that sends nothing for this long is dropped (Lassie's default: 20 s).
  std::chrono::milliseconds provider_timeout{20'000};
  // The whole retrieval; 0: none (Lassie's default).
  std::chrono::milliseconds global_timeout{0};
  // Verified CAR bytes passed on at most; 0: no limit (Lassie's default).
  std::uint64_t max_bytes = 0;
  std::string user_agent = "zinnia";
  // The libp2p node Bitswap providers are reached through, asked for on the first Bitswap
  // provider (the process's shared node); unset: Bitswap providers fail as not supported.
  std::function<std::shared_ptr<libp2p::Node>()> libp2p_node;
  // Blocks asked of a Bitswap provider ahead of the walk (wanted or received, not yet walked).
  std::size_t bitswap_window = 32;

  // The defaults, overridden by ZINNIA_IPNI_URL, ZINNIA_IPFS_PROVIDER_TIMEOUT_MS,
  // ZINNIA_IPFS_TIMEOUT_MS and ZINNIA_IPFS_MAX_BYTES. Throws Error naming a bad variable.
  static RetrieverConfig from_env();
};

// What a retrieval tells its caller, always from the loop, never from inside start().
class RetrievalSink {
 public:
  virtual ~RetrievalSink() = default;
  // Exactly once. 200 before the first body bytes; otherwise 400 (bad URL), 404 (no provider),
  // 502 (every provider failed) or 504 (timeout) with a message, and nothing more follows.
  virtual void on_response(int status, const std::string& message) = 0;
  // Verified CAR bytes. Return false to be paused until Retriever::resume().
  virtual bool on_data(ByteView car) = 0;
  // The CAR is complete.
  virtual void on_end() = 0;
  // After a 200: the body fails (every remaining provider failed, timeout, size limit).
  virtual void on_error(const std::string& message) = 0;
  // A provider was dropped (and the next one is tried).
  virtual void on_provider_failed(const Provider&, const std::string& /*reason*/) {}
};

struct Retrieval;

class Retriever {
 public:
  // With its own curl driver on `loop`. Throws std::runtime_error when libcurl cannot load.
  Retriever(uv_loop_t* loop, RetrieverConfig config);
  // On a driver shared with others (a module's fetch()): connections are reused across both.
  // `shared` must be shut down before this is destroyed (it holds work deferred by this).
  Retriever(curl::CurlLoop& shared, RetrieverConfig config);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  // Starts retrieving `url` (ipfs://...). Returns its id (never 0).
  std::uint32_t start(std::string_view url, std::unique_ptr<RetrievalSink> sink);
  // The sink has room again after on_data returned false.
  void resume(std::uint32_t id);
  // Stops the retrieval and closes its connection; its sink gets no more calls.
  void cancel(std::uint32_t id);
  // Cancels everything and closes the uv handles (before the loop closes).
  void shutdown();
  std::size_t active() const { return retrievals_.size(); }
  const RetrieverConfig& config() const { return config_; }

 private:
  friend struct Retrieval;
  void finish(Retrieval& r);

  RetrieverConfig config_;
  std::unique_ptr<curl::CurlLoop> own_curl_;
  curl::CurlLoop& curl_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Retrieval>> retrievals_;
  std::uint32_t next_id_ = 1;
};

}  // namespace zinnia::ipfs
