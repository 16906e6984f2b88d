#pragma once
// One retrieval client for a whole process: a Retriever on its own thread and libuv loop,
// shared by every module of a zinniad (connections to providers and to the indexer are
// reused across modules). Any thread may start, resume and cancel; the sinks are called on
// the service's thread, so a module's sink hands what it gets to its own loop.
#include <uv.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "engine/ipfs/retriever.h"

namespace zinnia::ipfs {

class RetrievalService {
 public:
  explicit RetrievalService(RetrieverConfig config);
  // Cancels what still runs (its sinks get no more calls) and joins the thread.
  ~RetrievalService();
  RetrievalService(const RetrievalService&) = delete;
  RetrievalService& operator=(const RetrievalService&) = delete;

  // Thread-safe. Returns the retrieval's id (never 0); the sink lives on the service thread
  // and is destroyed there.
  std::uint32_t start(std::string url, std::unique_ptr<RetrievalSink> sink);
  void resume(std::uint32_t id);
  void cancel(std::uint32_t id);
  // Retrievals running now (for tests and the monitor).
  std::size_t active() const { return active_.load(); }

 private:
  // The sink given to the Retriever: forwards to the caller's and keeps the count.
  struct Tracked;
  void post(std::function<void()> fn);
  void drain();
  void run();

  RetrieverConfig config_;
  uv_loop_t loop_;
  uv_async_t async_;
  std::unique_ptr<Retriever> retriever_;                  // service thread only
  std::unordered_map<std::uint32_t, std::uint32_t> ids_;  // ours -> the Retriever's; service thread
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::atomic<std::uint32_t> next_id_{1};
  std::atomic<std::size_t> active_{0};
  std::thread thread_;
};

}  // namespace zinnia::ipfs
