#include "engine/runtime/runtime.h"

#include <v8.h>

#include <mutex>

#include "engine/js/embedded.h"
#include "engine/v8/platform.h"
#include "util/version.h"

namespace zinnia::engine {
namespace {
std::mutex g_mu;
std::weak_ptr<Runtime> g_current;  // not an owner: the runtime ends with its last holder
}  // namespace

std::string code_cache_key() {
  // Appended piece by piece: GCC 12 warns (-Warray-bounds) in a long operator+ chain.
  std::string key = "zinnia ";
  key += kVersion;
  key += "; v8 ";
  key += v8_version();
  key += " tag ";
  key += std::to_string(v8::ScriptCompiler::CachedDataVersionTag());
  key += "; flags ";
  key += v8_flags();
  key += "; js ";
  key += embedded::kBootstrapDigest;
  return key;
}

Runtime::Runtime(const RuntimeOptions& options)
    : isolates_((initialize_v8(options.v8_flags), options.spare_isolate)) {
  if (!options.code_cache_dir.empty())
    code_cache_.persist(options.code_cache_dir, code_cache_key());
}

Runtime::~Runtime() = default;

std::shared_ptr<Runtime> Runtime::acquire(const RuntimeOptions& options) {
  std::lock_guard lock(g_mu);
  if (auto live = g_current.lock()) return live;
  auto made = std::make_shared<Runtime>(options);
  g_current = made;
  return made;
}

}  // namespace zinnia::engine
