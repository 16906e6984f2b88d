#pragma once
// The tree's insides, for the faces built on it (fusefs/fuse, later fusefs/guest).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fusefs/tree/log_file.h"
#include "fusefs/tree/tree.h"

namespace zinnia::fusefs {

// Subscribers of one path (Tree::watch).
struct Watch::State {
  std::recursive_mutex mu;  // held while the callback runs; reset() takes it to wait
  bool active = true;
  std::function<void()> callback;
  std::weak_ptr<void> list;  // detail::WatchList, to unsubscribe
};

namespace detail {

struct WatchList {
  std::mutex mu;
  std::vector<std::shared_ptr<Watch::State>> states;
  void fire();
};

// Who hears about changes: watchers per path, and node listeners (the FUSE notifier). Shared
// with the logs, which may outlive the Tree.
struct Hub {
  using Listener = std::function<void(std::uint64_t ino)>;
  std::shared_mutex listeners_mu;
  std::map<std::uint64_t, Listener> listeners;
  std::uint64_t next_listener = 1;

  std::mutex watch_mu;
  std::map<std::string, std::shared_ptr<WatchList>, std::less<>> watch_lists;

  std::shared_ptr<WatchList> list_for(std::string_view path);
  void changed(std::uint64_t ino, const std::shared_ptr<WatchList>& watchers);
};

enum class NodeKind : std::uint8_t { kDir, kLog, kBlob };

// Nodes are never removed while the tree lives, so a Node* (and its ino) stays valid.
struct Node {
  NodeKind kind;
  std::uint64_t ino;  // index in Impl::nodes + 1; the root is 1 (FUSE_ROOT_ID)
  std::string name;
  std::string path;
  Node* parent;
  std::shared_ptr<WatchList> watchers;

  // kDir: guarded by Impl::mu
  std::map<std::string, Node*, std::less<>> children;
  std::atomic<std::int64_t> mtime_ns{0};  // kDir, kBlob

  // kLog
  std::shared_ptr<LogImpl> log;

  // kBlob
  mutable std::mutex blob_mu;
  std::shared_ptr<const std::string> blob;

  std::shared_ptr<const std::string> blob_snapshot() const {
    std::lock_guard l(blob_mu);
    return blob;
  }
};

// A consistent view of a node's attributes.
struct Attr {
  std::uint64_t ino;
  NodeKind kind;
  std::uint64_t size;
  std::int64_t mtime_ns;
};

}  // namespace detail

struct Tree::Impl {
  explicit Impl(TreeOptions o);

  TreeOptions options;
  std::shared_ptr<detail::Hub> hub = std::make_shared<detail::Hub>();

  mutable std::shared_mutex mu;  // the shape: nodes, children
  std::vector<std::unique_ptr<detail::Node>> nodes;
  std::map<std::string, std::shared_ptr<detail::LogImpl>, std::less<>> logs;  // "<c>/stdout"

  // Path API pieces. Paths must be normalised (EINVAL otherwise).
  std::error_code find(std::string_view path, detail::Node** out) const;  // takes mu shared
  detail::Node* node(std::uint64_t ino) const;                            // null if none
  detail::Node* child(detail::Node* dir, std::string_view name) const;    // null if none
  detail::Attr attr(const detail::Node* n) const;
  std::vector<DirEntry> entries(const detail::Node* dir) const;

  // Listeners hear the ino of every node that changed (after the change is visible).
  std::uint64_t add_listener(detail::Hub::Listener l);
  void remove_listener(std::uint64_t id);  // no call is running or will start after it returns

  // Creates folders along `path` (mu held exclusively); returns the last one.
  detail::Node* ensure_dirs(std::string_view path, std::vector<detail::Node*>* created);
  detail::Node* add_node(detail::Node* dir, std::string_view name, detail::NodeKind kind,
                         std::vector<detail::Node*>* created);
  void announce(const std::vector<detail::Node*>& created);
};

// True for a normalised relative path ("" is the root).
bool valid_tree_path(std::string_view path);

}  // namespace zinnia::fusefs
