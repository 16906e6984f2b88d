#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/v8/isolate.h"

namespace zinnia::engine {

// Isolate::New costs milliseconds; a background thread keeps one spare isolate ready so
// starting a module does not wait for it. Owned by engine::Runtime: the thread starts on the
// first take() and is stopped and joined (the spare disposed) by the destructor, which must
// run while V8 is still up.
class IsolateMaker {
 public:
  // `spare`: keep a spare ready. A process that runs a single module (`zinnia run`) turns it
  // off: there the spare only costs CPU at startup and memory.
  explicit IsolateMaker(bool spare = true) : enabled_(spare) {}
  ~IsolateMaker();
  IsolateMaker(const IsolateMaker&) = delete;
  IsolateMaker& operator=(const IsolateMaker&) = delete;

  // A fresh isolate with this heap limit: the spare when it has that limit, else made on the
  // calling thread. Any thread.
  std::unique_ptr<IsolateHolder> take(std::size_t heap_limit_bytes);
  // Makes every isolate from this startup snapshot (both outlive the maker). Before take().
  void use_snapshot(const v8::StartupData* blob, const std::intptr_t* external_references) {
    snapshot_ = blob;
    external_references_ = external_references;
  }

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<IsolateHolder> spare_;
  std::size_t limit_ = 0;  // heap limit of the spare to make (the last one asked for)
  bool wanted_ = false;    // a spare should be made
  bool stopping_ = false;
  bool enabled_;
  const v8::StartupData* snapshot_ = nullptr;
  const std::intptr_t* external_references_ = nullptr;
  std::thread thread_;
};

}  // namespace zinnia::engine
