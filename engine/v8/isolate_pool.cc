#include "engine/v8/isolate_pool.h"

namespace zinnia::engine {

IsolateMaker::~IsolateMaker() {
  std::unique_ptr<IsolateHolder> spare;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    spare = std::move(spare_);
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void IsolateMaker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || (wanted_ && !spare_); });
    if (stopping_) return;
    std::size_t l = limit_;
    lock.unlock();
    auto made = std::make_unique<IsolateHolder>(l, snapshot_, external_references_);
    lock.lock();
    if (stopping_) return;  // `made` is disposed on the way out, V8 is still up
    if (l == limit_ && !spare_) spare_ = std::move(made);
    wanted_ = false;
  }
}

std::unique_ptr<IsolateHolder> IsolateMaker::take(std::size_t heap_limit_bytes) {
  std::unique_ptr<IsolateHolder> out, stale;
  {
    std::lock_guard lock(mu_);
    if (spare_ && limit_ == heap_limit_bytes) out = std::move(spare_);
    if (!stopping_ && enabled_) {
      stale = std::move(spare_);  // wrong limit: not worth keeping
      limit_ = heap_limit_bytes;
      wanted_ = true;
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
      cv_.notify_one();
    }
  }
  if (!out)
    out = std::make_unique<IsolateHolder>(heap_limit_bytes, snapshot_, external_references_);
  return out;
}

}  // namespace zinnia::engine
