#include "engine/v8/isolate_pool.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace zinnia::engine {
namespace {

struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<IsolateHolder> spare;
  std::size_t limit = 0;  // heap limit of the spare to make (the last one asked for)
  bool wanted = false;    // a spare should be made
  bool stopping = false;
  bool started = false;
  bool enabled = true;
  std::thread thread;

  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || (wanted && !spare); });
      if (stopping) return;
      std::size_t l = limit;
      lock.unlock();
      auto made = std::make_unique<IsolateHolder>(l);
      lock.lock();
      if (stopping) return;  // `made` is disposed on the way out, V8 is still up
      if (l == limit && !spare) spare = std::move(made);
      wanted = false;
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: modules may outlive static destructors
  return *p;
}

}  // namespace

std::unique_ptr<IsolateHolder> take_isolate(std::size_t heap_limit_bytes) {
  auto& p = pool();
  std::unique_ptr<IsolateHolder> out;
  {
    std::lock_guard lock(p.mu);
    if (p.spare && p.limit == heap_limit_bytes) out = std::move(p.spare);
    if (!p.stopping && p.enabled) {
      p.spare.reset();  // wrong limit: not worth keeping
      p.limit = heap_limit_bytes;
      p.wanted = true;
      if (!p.started) {
        p.started = true;
        p.thread = std::thread([&p] { p.run(); });
        // A spare still being made when the process exits would run on into V8's static
        // destructors and crash: exit waits for it first (atexit runs before libnode's
        // destructors, which were registered at load time).
        std::atexit([] { drain_isolate_pool(); });
      }
      p.cv.notify_one();
    }
  }
  if (!out) out = std::make_unique<IsolateHolder>(heap_limit_bytes);
  return out;
}

void set_isolate_spare(bool enabled) {
  auto& p = pool();
  std::unique_ptr<IsolateHolder> spare;
  std::lock_guard lock(p.mu);
  p.enabled = enabled;
  if (!enabled) {
    spare = std::move(p.spare);
    p.wanted = false;
  }
}

void drain_isolate_pool() {
  auto& p = pool();
  std::unique_ptr<IsolateHolder> spare;
  {
    std::lock_guard lock(p.mu);
    p.stopping = true;
    spare = std::move(p.spare);
    p.cv.notify_one();
  }
  if (p.thread.joinable()) p.thread.join();
}

}  // namespace zinnia::engine
