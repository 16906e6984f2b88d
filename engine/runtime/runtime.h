#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "engine/api/host.h"
#include "engine/runtime/snapshot.h"
#include "engine/runtime/watchdog.h"
#include "engine/v8/isolate_pool.h"

namespace zinnia::engine {

struct RuntimeOptions {
  // Keep a spare isolate made ahead (off for a one-module process such as `zinnia run`).
  bool spare_isolate = true;
  // Keep the bootstrap's code cache in this folder across processes (zinniad:
  // $CACHE_ROOT/code-cache; zinnia run: its cache folder); empty: in memory only.
  std::filesystem::path code_cache_dir;
  // V8 flags after the engine's own (zinnia run --v8-flags); only the first runtime's count.
  std::string v8_flags;
  // A startup snapshot of the bootstrapped context (embedded_snapshot(), snapshot.h): used
  // when its key matches this process (not with other v8_flags) and ZINNIA_SNAPSHOT is not
  // "0"; otherwise every module bootstraps from the code cache as before.
  SnapshotBlob snapshot;
};

// The code cache's key: this binary's version, V8's version and cache tag (which covers its
// flags), the flags as given, and a hash of the embedded bootstrap JS (a rebuilt binary with
// other JS but the same version must not reuse it). After initialize_v8().
std::string code_cache_key();

// The background work every module of a process shares: the watchdog thread, the
// spare-isolate maker and the bootstrap code cache. (zinnia:fs work runs on libuv's thread
// pool, which libuv owns.) Constructing it initialises V8 and starts the watchdog; destroying
// it stops them in order: the spare maker (disposing the spare), then the watchdog, then the
// cache. Modules hold it through a shared_ptr, so it ends after the last of them.
class Runtime {
 public:
  explicit Runtime(const RuntimeOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The process's runtime: the live one, or a new one with `options` (ignored if one lives).
  // An embedder holds it for as long as it runs modules; a Module holds it while it runs.
  static std::shared_ptr<Runtime> acquire(const RuntimeOptions& options = {});

  Watchdog& watchdog() { return watchdog_; }
  IsolateMaker& isolates() { return isolates_; }
  CodeCache& code_cache() { return code_cache_; }
  // Whether modules start from the startup snapshot.
  bool uses_snapshot() const { return snapshot_.data != nullptr; }
  // A module's context was deserialized from the snapshot. V8 has copied what it needs, so the
  // blob's pages, when they are the binary's, are handed back (zinnia run's peak RSS: ~0.7 of
  // the blob's 0.78 MB); the next context faults them in again from the page cache.
  void context_made() const;

 private:
  // Destroyed in reverse order: isolates_ first (its thread makes isolates), then the
  // watchdog (no module left to watch), then the cache.
  CodeCache code_cache_;
  v8::StartupData snapshot_{nullptr, 0};
  bool snapshot_in_binary_ = false;
  Watchdog watchdog_;
  IsolateMaker isolates_;
};

}  // namespace zinnia::engine
