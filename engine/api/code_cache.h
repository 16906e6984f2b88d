#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace zinnia::engine {

// V8's compiled code of the bootstrap files, shared by the modules of one engine::Runtime and,
// when given a folder, kept on disk for the next process (docs/engine.md, "Start time").
//
// In memory only: the second module of a process stores the cache (a one-module process would
// serialise it for nothing: 4% of its start), later ones consume it.
// Persistent: the first bootstrap reads `<dir>/bootstrap-<hash of key>.bin`; every file it
// lacks (no file yet, a file for another key, a torn or corrupt file, an entry V8 refused) is
// compiled, stored and the whole file rewritten atomically (a temporary file, then rename) at
// the end of that bootstrap. The file is never trusted: its header must name exactly this key
// (the binary's version, V8's version and cache tag, V8's flags, a hash of the embedded JS)
// and its checksum must match, and V8 still runs its own check on each entry.
// Thread-safe.
class CodeCache {
 public:
  using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

  CodeCache();
  // Keeps the cache in `dir` (made when first written) under `key`.
  void persist(std::filesystem::path dir, std::string key);

  // What one bootstrap did with the cache (reported with ZINNIA_CODE_CACHE_LOG=1).
  struct Use {
    std::size_t consumed = 0;  // compiled from the cache
    std::size_t rejected = 0;  // V8 refused the cached entry (compiled afresh)
    std::size_t compiled = 0;  // no entry
    std::size_t stored = 0;    // entries added by this bootstrap
  };

  // At the start of a bootstrap: true when this one stores what it compiles.
  bool begin();
  Bytes get(std::size_t file);
  // V8 refused the entry: it is dropped, so this bootstrap stores it again.
  void reject(std::size_t file);
  // Keeps `bytes` for `file` unless an entry is already there; false if it was.
  bool put(std::size_t file, Bytes bytes);
  // At the end of a bootstrap: writes the file when entries were added since it was read.
  void end(const Use& use);

  // Totals over the process (tests).
  struct Totals {
    std::size_t consumed = 0, rejected = 0, compiled = 0, writes = 0;
    std::string load_problem;  // why the file on disk was not used ("" if it was, or none)
  };
  Totals totals();
  std::filesystem::path file() const;  // empty: in memory only
  // ZINNIA_CODE_CACHE_LOG=1: the bootstrap's use of the cache (and of the startup snapshot,
  // engine/runtime) is printed on stderr.
  bool logging() const { return log_; }

  // The file's bytes for `entries` (index, bytes) under `key`, and the reverse: "" or why the
  // bytes are not a cache for `key` (exposed for the fuzzer and tests).
  static std::vector<std::uint8_t> encode(std::string_view key, const std::vector<Bytes>& entries);
  static std::string decode(std::string_view key, const std::vector<std::uint8_t>& data,
                            std::vector<Bytes>& entries);

 private:
  void load();   // mu_ held
  void write();  // mu_ held

  std::mutex mu_;
  std::vector<Bytes> files_;
  std::size_t bootstraps_ = 0;
  std::filesystem::path dir_, file_;
  std::string key_;
  bool loaded_ = false;
  bool dirty_ = false;
  bool log_ = false;
  Totals totals_;
};

// A 64-bit hash of `data` (not cryptographic: it detects a torn or damaged cache file and names
// a cache key).
std::uint64_t cache_hash(std::string_view data, std::uint64_t seed = 0);

}  // namespace zinnia::engine
