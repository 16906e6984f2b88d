#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/guest_fs.h"

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

// A node's number. Nodes are never removed while the tree lives, so an inode stays valid.
using Ino = std::uint64_t;
inline constexpr Ino kRootIno = 1;  // FUSE_ROOT_ID

enum class NodeKind : std::uint8_t { kDir, kLog, kBlob };

// What getattr says about a node.
struct Attr {
  Ino ino = 0;
  Ino parent = 0;  // the root's parent is itself
  NodeKind kind = NodeKind::kDir;
  std::uint64_t size = 0;     // logs: total bytes visible; blobs: content size; dirs: 0
  std::int64_t mtime_ns = 0;  // logs: time of the last append
};

// One readdir entry.
struct Child {
  std::string name;
  Ino ino = 0;
  NodeKind kind = NodeKind::kDir;
};

// Where bytes of a log lie in one persisted file (for zero-copy replies). `keep` holds the
// file open (a rotation may have renamed or replaced it).
struct DiskRange {
  std::shared_ptr<const void> keep;
  int fd = -1;
  std::uint64_t file_off = 0;
  std::size_t len = 0;
};

// The one change-notification handle, from Tree::subscribe() and Tree::watch(). The lifetime
// rule: once it is destroyed, its callback is not running and never starts again, except
// when it is destroyed from inside its own callback (then that call finishes, and no other
// starts). No lock of the tree is held while a callback runs.
class Subscription final : public GuestFs::Subscription {
 public:
  struct State;
  struct Hub;
  Subscription(std::weak_ptr<Hub> hub, std::shared_ptr<State> state);
  ~Subscription() override;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  std::weak_ptr<Hub> hub_;
  std::shared_ptr<State> state_;
};

// The monitor tree:
//   monitor/logs/<component>/stdout.txt, stderr.txt   (LogFile)
//   monitor/status.json, config/<app>/manifest.json, manifest.toml   (blobs)
//
// Writers (the daemon) add components, append to logs and set blobs. Readers (the faces:
// FUSE in fusefs/fuse, zinnia:fs in fusefs/guest) use the inode API: lookup, getattr,
// readdir, read, and subscribe to changes. The path API is the same, by path, for callers
// that hold no inodes. All methods are thread-safe; errors are errno values.
class Tree {
 public:
  explicit Tree(TreeOptions options);
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // --- writers ---------------------------------------------------------------------------
  // Adds monitor/logs/<component>/ with its two logs, reopening the persisted files for
  // append. Idempotent. A persisted folder or file that cannot be created or opened is
  // reported through options.on_error (the logs then live in memory and retry on each
  // flush); throws std::system_error(EINVAL) only for a bad component name.
  void add_component(const std::string& component);
  // Unlinks monitor/logs/<component>/ and drops its logs: their persisted files are flushed
  // and closed, their memory windows freed (the files stay on disk; a later add_component
  // reopens them for append). Unknown names are ignored.
  void remove_component(const std::string& component);
  // The log of a component added before; never null for an added component, null otherwise.
  std::shared_ptr<LogFile> log(const std::string& component, Stream stream);
  // Replaces a blob file's whole content atomically, creating parent folders:
  // set_blob("config/station/manifest.json", "{...}"). Throws std::system_error
  // (EINVAL for a bad path, EISDIR/EEXIST when a folder or log is in the way).
  void set_blob(std::string_view path, std::string content);

  // --- inode API (errors: ENOENT no such inode or name, ENOTDIR, EISDIR) -------------------
  std::error_code lookup(Ino dir, std::string_view name, Attr* out) const;
  std::error_code getattr(Ino ino, Attr* out) const;
  // The entries of a folder, sorted by name.
  std::error_code readdir(Ino dir, std::vector<Child>* out) const;
  // Up to `n` bytes from `offset` into buf (fewer at the end of the file; none past it).
  // Logs return the true bytes at any offset: recent ones from memory, older ones from the
  // persisted file. Bytes that are in neither (persisting failed, rotated away twice, or
  // truncated from outside) read as filler text (lines of spaces, never NUL), so offsets
  // never shift and the file stays text (docs/monitor-tree.md).
  std::error_code read(Ino ino, std::uint64_t offset, char* buf, std::size_t n,
                       std::size_t* got) const;
  // A blob's whole content, as one version (null for a folder or log).
  std::shared_ptr<const std::string> blob(Ino ino) const;
  // Where log bytes [offset, offset + n) (clipped to the size) lie in a single persisted
  // file; false when they do not.
  bool disk_range(Ino ino, std::uint64_t offset, std::size_t n, DiskRange* out) const;
  // Calls `changed(ino)` (on the writer's thread, after the change is visible) for every
  // node that appears, grows or is replaced, and for a folder that gains an entry. Must be
  // quick; it must not write to the tree.
  std::unique_ptr<Subscription> subscribe(std::function<void(Ino)> changed);

  // --- path API ---------------------------------------------------------------------------
  // Paths are relative to the root, normalised: "" is the root, then names joined by single
  // '/', no leading or trailing '/', no "." or ".." and no NUL. Anything else is EINVAL.
  std::error_code resolve(std::string_view path, Attr* out) const;
  std::error_code stat(std::string_view path, GuestFs::Stat* out) const;
  std::error_code read(std::string_view path, std::uint64_t offset, std::size_t size,
                       std::string* out) const;
  std::error_code list(std::string_view path, std::vector<GuestFs::Entry>* out) const;
  // For a log: the offset from which every byte to the end is kept (bytes before it may be
  // filler). 0 for a blob. EISDIR for a folder.
  std::error_code held_from(std::string_view path, std::uint64_t* out) const;
  // subscribe() for one path, which need not exist yet. Throws std::system_error(EINVAL)
  // for a bad path.
  std::unique_ptr<Subscription> watch(std::string_view path, std::function<void()> changed);

  const TreeOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for a normalised relative path ("" is the root).
bool valid_tree_path(std::string_view path);

}  // namespace zinnia::fusefs
