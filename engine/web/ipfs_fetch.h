#pragma once
// fetch("ipfs://...") of one module: retrievals by the IPFS library (engine/ipfs/, see
// docs/ipfs.md) on the module's own libuv loop, their events delivered to fetch.js as
// FetchEvents, like an HTTP transfer's. Module thread only.
#include <v8.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "engine/ipfs/retriever.h"

namespace zinnia::engine {
class Loop;
}

namespace zinnia::engine::web {

struct IpfsSink;

class IpfsFetch {
 public:
  // `curl` gives the module's curl driver (FetchClient::curl_loop()), shared with fetch():
  // one connection cache per module. It must be shut down after this.
  IpfsFetch(Loop& loop, std::function<curl::CurlLoop&()> curl)
      : loop_(loop), curl_(std::move(curl)) {}
  ~IpfsFetch() { shutdown(); }
  IpfsFetch(const IpfsFetch&) = delete;
  IpfsFetch& operator=(const IpfsFetch&) = delete;

  // Starts retrieving `url`; `on_event(kind, ...)` as FetchClient's. Throws bind::TypeError
  // when the retrieval settings in the environment are invalid.
  std::uint32_t start(const std::string& url, v8::Local<v8::Function> on_event);
  void resume(std::uint32_t id);
  void abort(std::uint32_t id);
  void shutdown();

 private:
  friend struct IpfsSink;
  Loop& loop_;
  std::function<curl::CurlLoop&()> curl_;
  std::unique_ptr<ipfs::Retriever> retriever_;  // made on the first ipfs:// fetch
  std::unordered_map<std::uint32_t, IpfsSink*> sinks_;
};

}  // namespace zinnia::engine::web
