#include "engine/ipfs/service.h"

namespace zinnia::ipfs {

struct RetrievalService::Tracked : RetrievalSink {
  RetrievalService& service;
  std::uint32_t id;
  std::unique_ptr<RetrievalSink> inner;
  Tracked(RetrievalService& s, std::uint32_t i, std::unique_ptr<RetrievalSink> sink)
      : service(s), id(i), inner(std::move(sink)) {}
  ~Tracked() override {
    service.ids_.erase(id);
    --service.active_;
  }
  void on_response(int status, const std::string& message) override {
    inner->on_response(status, message);
  }
  bool on_data(ByteView car) override { return inner->on_data(car); }
  void on_end() override { inner->on_end(); }
  void on_error(const std::string& message) override { inner->on_error(message); }
  void on_provider_failed(const Provider& p, const std::string& reason) override {
    inner->on_provider_failed(p, reason);
  }
};

RetrievalService::RetrievalService(RetrieverConfig config) : config_(std::move(config)) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_,
                [](uv_async_t* a) { static_cast<RetrievalService*>(a->data)->drain(); });
  async_.data = this;
  try {
    retriever_ = std::make_unique<Retriever>(&loop_, config_);
  } catch (...) {  // libcurl cannot load: leave no handle behind
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_loop_close(&loop_);
    throw;
  }
  thread_ = std::thread([this] { run(); });
}

RetrievalService::~RetrievalService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  uv_async_send(&async_);
  thread_.join();
  uv_loop_close(&loop_);
}

void RetrievalService::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);  // returns once drain() saw stopping_ and closed everything
}

void RetrievalService::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(fn));
  }
  uv_async_send(&async_);
}

void RetrievalService::drain() {
  std::deque<std::function<void()>> batch;
  bool stop;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
    stop = stopping_;
  }
  for (auto& fn : batch) fn();
  if (stop) {
    retriever_->shutdown();  // destroys the sinks; closes the uv handles
    retriever_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
}

std::uint32_t RetrievalService::start(std::string url, std::unique_ptr<RetrievalSink> sink) {
  std::uint32_t id = next_id_++;
  if (id == 0) id = next_id_++;
  auto holder = std::make_shared<std::unique_ptr<RetrievalSink>>(std::move(sink));
  // Counted here, not on the service's thread, so active() covers a start still queued.
  ++active_;
  post([this, id, url = std::move(url), holder] {
    auto tracked = std::make_unique<Tracked>(*this, id, std::move(*holder));
    ids_[id] = retriever_->start(url, std::move(tracked));
  });
  return id;
}

void RetrievalService::resume(std::uint32_t id) {
  post([this, id] {
    if (auto it = ids_.find(id); it != ids_.end()) retriever_->resume(it->second);
  });
}

void RetrievalService::cancel(std::uint32_t id) {
  post([this, id] {
    if (auto it = ids_.find(id); it != ids_.end()) retriever_->cancel(it->second);
  });
}

}  // namespace zinnia::ipfs
