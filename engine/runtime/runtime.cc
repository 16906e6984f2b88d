#include "engine/runtime/runtime.h"

#include <mutex>

#include "engine/v8/platform.h"

namespace zinnia::engine {
namespace {
std::mutex g_mu;
std::weak_ptr<Runtime> g_current;  // not an owner: the runtime ends with its last holder
}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : code_cache_(), watchdog_(), isolates_((initialize_v8(), options.spare_isolate)) {}

Runtime::~Runtime() = default;

std::shared_ptr<Runtime> Runtime::acquire(RuntimeOptions options) {
  std::lock_guard lock(g_mu);
  if (auto live = g_current.lock()) return live;
  auto made = std::make_shared<Runtime>(options);
  g_current = made;
  return made;
}

}  // namespace zinnia::engine
