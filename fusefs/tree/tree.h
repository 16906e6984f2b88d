#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace zinnia::fusefs {

enum class Stream : std::uint8_t { kStdout, kStderr };

struct TreeOptions {
  // Persisted logs go to <spin_root>/<app>/logs/<component>/{stdout,stderr}.txt.
  std::filesystem::path spin_root;
  std::string app;
  std::size_t window_bytes = std::size_t{1} << 20;       // recent bytes kept in memory per log
  std::uint64_t rotate_bytes = std::uint64_t{64} << 20;  // persisted file rotation size
  // Receives persistence problems (disk full, unwritable folder): once per stream until it
  // recovers. Called from writer threads.
  std::function<void(const std::string& message)> on_error;
};

// An append-only log in the tree (monitor/logs/<component>/stdout.txt).
class LogFile {
 public:
  virtual ~LogFile() = default;
  // Queues bytes (whole lines, normally) from one writer. Nothing is visible until flush().
  virtual void append(std::string_view bytes) = 0;
  // Writes what was queued to the persisted file (write(2)), then makes it visible to
  // readers, in that order. Also done automatically when the queue passes a bound.
  virtual void flush() = 0;
  // Total bytes ever made visible, across restarts (starts at the persisted file's size).
  virtual std::uint64_t size() const = 0;
};

// The monitor tree:
//   monitor/logs/<component>/stdout.txt, stderr.txt   (LogFile)
//   monitor/status.json, config/<app>/manifest.json, manifest.toml   (blobs)
class Tree {
 public:
  explicit Tree(TreeOptions options);
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // Adds monitor/logs/<component>/ with its two logs, reopening the persisted files for
  // append. Idempotent. Throws std::system_error if the log folder cannot be created.
  void add_component(const std::string& component);
  // The log of a component added before; never null for an added component.
  std::shared_ptr<LogFile> log(const std::string& component, Stream stream);
  // Replaces a blob file's whole content atomically, creating parent folders:
  // set_blob("config/station/manifest.json", "{...}").
  void set_blob(std::string_view path, std::string content);

  const TreeOptions& options() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::fusefs
