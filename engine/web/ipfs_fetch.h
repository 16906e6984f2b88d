#pragma once
// fetch("ipfs://...") of one module: retrievals on the process's one RetrievalService
// (engine/ipfs/service.h, see docs/ipfs.md), shared by every module of a zinniad, their events
// posted to the module's loop and delivered to fetch.js as FetchEvents, like an HTTP
// transfer's. Module thread only.
#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "engine/loop/loop.h"

namespace zinnia::ipfs {
class RetrievalService;
}

namespace zinnia::engine::web {

// The process's retrieval client, made on first use with RetrieverConfig::from_env(),
// user agent "zinnia" and the process's libp2p node for Bitswap. Thread-safe. Throws
// ipfs::Error for a bad variable (nothing is kept, so the next call tries again) and
// std::runtime_error when libcurl cannot load. Its thread is joined at process exit (an
// atexit handler drops the process's reference; the modules' IpfsFetch hold the others).
std::shared_ptr<ipfs::RetrievalService> process_retrieval_service();

// What a module's retrievals share with the service's thread (defined in ipfs_fetch.cc).
struct IpfsLink;

class IpfsFetch {
 public:
  explicit IpfsFetch(Loop& loop);
  ~IpfsFetch();
  IpfsFetch(const IpfsFetch&) = delete;
  IpfsFetch& operator=(const IpfsFetch&) = delete;

  // Starts retrieving `url`; `on_event(kind, ...)` as FetchClient's. Throws bind::TypeError
  // when the retrieval settings in the environment are invalid.
  std::uint32_t start(const std::string& url, v8::Local<v8::Function> on_event);
  // JS pulls the body again.
  void resume(std::uint32_t id);
  void abort(std::uint32_t id);
  // Cancels every retrieval of this module; nothing is delivered afterwards.
  void shutdown();

  // Bytes posted to this module and not yet delivered to JS beyond which the service's
  // thread pauses a retrieval (as fetch()'s bound).
  static constexpr std::size_t kUnreadBound = std::size_t{256} * 1024;

  // Posted by a retrieval's sink, run on the module thread: its calls, as FetchEvents.
  void deliver_response(std::uint32_t id, int status, const std::string& message);
  void deliver_data(std::uint32_t id, const std::string& bytes);
  void deliver_end(std::uint32_t id);
  void deliver_error(std::uint32_t id, const std::string& message);

 private:
  struct Entry;
  bool emit(Entry& e, int argc, v8::Local<v8::Value>* argv);
  void finish(std::uint32_t id);
  // The service goes on once JS wants more and less than kUnreadBound waits unread.
  void resume_if_drained(Entry& e);

  Loop& loop_;
  std::shared_ptr<ipfs::RetrievalService> service_;  // taken on the first ipfs:// fetch
  std::shared_ptr<IpfsLink> link_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Entry>> entries_;
};

}  // namespace zinnia::engine::web
