#include "engine/runtime/runtime.h"

#include <sys/mman.h>
#include <unistd.h>
#include <v8.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/v8/platform.h"

namespace zinnia::engine {
namespace {
std::mutex g_mu;
std::weak_ptr<Runtime> g_current;  // not an owner: the runtime ends with its last holder
}  // namespace

std::string code_cache_key() {
  return bootstrap_key(" tag " + std::to_string(v8::ScriptCompiler::CachedDataVersionTag()));
}

Runtime::Runtime(const RuntimeOptions& options)
    : isolates_((initialize_v8(options.v8_flags), options.spare_isolate)) {
  if (!options.code_cache_dir.empty())
    code_cache_.persist(options.code_cache_dir, code_cache_key());
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the process never setenv()s
  const char* env = std::getenv("ZINNIA_SNAPSHOT");
  const char* why_not = nullptr;
  if (options.snapshot.data.empty())
    why_not = "none in this binary";
  else if (env && std::string_view(env) == "0")
    why_not = "ZINNIA_SNAPSHOT=0";
  else if (options.snapshot.key != snapshot_key())
    why_not = "made for another key (V8 flags or version)";
  if (!why_not) {
    snapshot_ = {options.snapshot.data.data(), static_cast<int>(options.snapshot.data.size())};
    snapshot_in_binary_ = options.snapshot.in_binary;
    isolates_.use_snapshot(&snapshot_, snapshot_external_references());
  }
  if (code_cache_.logging()) {
    if (why_not)
      std::fprintf(stderr, "zinnia: startup snapshot: not used: %s\n", why_not);
    else
      std::fprintf(stderr, "zinnia: startup snapshot: used (%zu bytes)\n",
                   options.snapshot.data.size());
  }
}

Runtime::~Runtime() = default;

void Runtime::context_made() const {
  if (!snapshot_in_binary_) return;  // e.g. a blob on the heap: dropping it would zero it
  // Only whole pages inside the blob. They are read-only and mapped from the binary's file,
  // so MADV_DONTNEED only unmaps them: nothing is lost, a later read maps them again.
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<std::uintptr_t>(snapshot_.data);
  auto end = begin + static_cast<std::uintptr_t>(snapshot_.raw_size);
  begin = (begin + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end > begin)
    ::madvise(reinterpret_cast<void*>(begin), end - begin,  // NOLINT(performance-no-int-to-ptr)
              MADV_DONTNEED);
}

std::shared_ptr<Runtime> Runtime::acquire(const RuntimeOptions& options) {
  std::lock_guard lock(g_mu);
  if (auto live = g_current.lock()) return live;
  auto made = std::make_shared<Runtime>(options);
  g_current = made;
  return made;
}

}  // namespace zinnia::engine
