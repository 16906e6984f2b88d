#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace zinnia::fusefs {

enum class Stream : std::uint8_t { kStdout, kStderr };

struct TreeOptions {
  // Persisted logs go to <spin_root>/<app>/logs/<component>/{stdout,stderr}.txt.
  std::filesystem::path spin_root;
  std::string app;
  std::size_t window_bytes = std::size_t{1} << 20;       // recent bytes kept in memory per log
  std::uint64_t rotate_bytes = std::uint64_t{64} << 20;  // persisted file rotation size
  // Receives persistence problems (disk full, unwritable folder): once per stream until it
  // recovers. Called from writer threads. When empty, the message goes to stderr.
  std::function<void(const std::string& message)> on_error;
};

// An append-only log in the tree (monitor/logs/<component>/stdout.txt).
class LogFile {
 public:
  virtual ~LogFile() = default;
  // Queues bytes (whole lines, normally) from one writer. Nothing is visible until flush().
  virtual void append(std::string_view bytes) = 0;
  // Writes what was queued to the persisted file (write(2)), then makes it visible to
  // readers, in that order. Also done automatically when the queue passes 64 KiB.
  virtual void flush() = 0;
  // Total bytes ever made visible, across restarts (starts at the persisted file's size).
  virtual std::uint64_t size() const = 0;
};

// What stat() says about a node.
struct NodeStat {
  std::uint64_t size = 0;  // logs: total bytes visible; blobs: content size; dirs: 0
  std::chrono::system_clock::time_point mtime;  // logs: time of the last append
  bool is_file = false;
  bool is_dir = false;
};

struct DirEntry {
  std::string name;
  bool is_file = false;
  bool is_dir = false;
};

// RAII subscription from Tree::watch(); unsubscribes on destruction (waiting for a callback
// that is running on another thread to finish).
class Watch {
 public:
  Watch() = default;
  Watch(Watch&&) noexcept;
  Watch& operator=(Watch&&) noexcept;
  ~Watch();
  void reset();
  explicit operator bool() const { return static_cast<bool>(state_); }

  struct State;
  explicit Watch(std::shared_ptr<State> state);

 private:
  std::shared_ptr<State> state_;
};

// The monitor tree:
//   monitor/logs/<component>/stdout.txt, stderr.txt   (LogFile)
//   monitor/status.json, config/<app>/manifest.json, manifest.toml   (blobs)
//
// Paths in the path API are relative to the tree root, normalised: "" is the root, then
// names joined by single '/', no leading or trailing '/', no "." or ".." and no NUL.
// Anything else fails with EINVAL. All methods are thread-safe.
class Tree {
 public:
  explicit Tree(TreeOptions options);
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // Adds monitor/logs/<component>/ with its two logs, reopening the persisted files for
  // append. Idempotent. A persisted folder or file that cannot be created or opened is
  // reported through options.on_error (the logs then live in memory and retry on each
  // flush); throws std::system_error(EINVAL) only for a bad component name.
  void add_component(const std::string& component);
  // The log of a component added before; never null for an added component, null otherwise.
  std::shared_ptr<LogFile> log(const std::string& component, Stream stream);
  // Replaces a blob file's whole content atomically, creating parent folders:
  // set_blob("config/station/manifest.json", "{...}"). Throws std::system_error
  // (EINVAL for a bad path, EISDIR/EEXIST when a folder or log is in the way).
  void set_blob(std::string_view path, std::string content);

  // Path API (used by the guest face). Errors: EINVAL (path not normalised), ENOENT,
  // ENOTDIR (a file used as a folder, or list() of a file), EISDIR (read() of a folder).
  std::error_code stat(std::string_view path, NodeStat* out) const;
  // Up to `size` bytes from `offset` (fewer at the end of the file; none past it). Logs
  // return the true bytes at any offset: recent ones from memory, older ones from the
  // persisted file. Bytes that are in neither (persisting failed, or rotated away twice)
  // read as NUL bytes, so offsets never shift.
  std::error_code read(std::string_view path, std::uint64_t offset, std::size_t size,
                       std::string* out) const;
  // The entries of a folder, sorted by name.
  std::error_code list(std::string_view path, std::vector<DirEntry>* out) const;
  // Calls `callback` (on the writer's thread, after the change is visible) whenever the node
  // at `path` appears, grows, is replaced, or (for a folder) gains an entry. The path need
  // not exist yet. The callback must be quick and must not call flush()/set_blob() on the
  // same node. Throws std::system_error(EINVAL) for a bad path.
  Watch watch(std::string_view path, std::function<void()> callback);

  const TreeOptions& options() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::fusefs
