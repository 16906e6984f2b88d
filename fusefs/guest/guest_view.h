#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusefs/guest/host_dir.h"
#include "fusefs/tree/tree.h"
#include "util/guest_fs.h"

namespace zinnia::fusefs::guest {

// One manifest `files` entry, resolved: a guest destination backed by a place in the
// monitor tree or by a host folder.
struct Grant {
  std::string destination;               // absolute guest path, e.g. "/monitor"
  std::optional<std::string> tree_path;  // set: a tree path ("" root, "monitor", "config")
  std::filesystem::path host_dir;        // otherwise: a host folder, read-only
};

// What one component may read: the union of its grants, nothing else. Every guest path is
// normalised once, then matched against the grants; anything outside them is
// kPermissionDenied whether or not it exists, so errors reveal nothing beyond the grants.
// Folders above a destination ("/" for "/monitor") list the destinations below them.
// This is what `zinnia:fs` calls (util/guest_fs.h). Thread-safe; methods may block on disk
// (call them off the module's event loop).
class GuestView final : public GuestFs {
 public:
  // Throws std::invalid_argument naming the destination when one is not absolute,
  // not normalised, or overlaps another; std::system_error when a host folder won't open.
  // `read_limit`: read_file of a host file larger than this is kTooLarge; a monitor-tree log
  // reads as its newest `read_limit` bytes at most.
  GuestView(std::vector<Grant> grants, Tree* tree, std::size_t read_limit = kDefaultReadLimit);
  static constexpr std::size_t kDefaultReadLimit = HostDir::kDefaultReadLimit;

  Error stat(const std::string& guest_path, Stat& out) override;
  Error read_file(const std::string& guest_path, std::string& out) override;
  Error read(const std::string& guest_path, std::uint64_t offset, std::size_t max,
             std::string& out) override;
  Error list(const std::string& guest_path, std::vector<Entry>& out) override;
  // Calls `changed` (from a writer's thread) when the file appears, grows or is replaced.
  // Only monitor-tree paths can be watched (they need not exist yet); a host-folder path
  // gives kNotSupported.
  Error watch(const std::string& guest_path, std::function<void()> changed,
              std::unique_ptr<Subscription>& out) override;

  bool empty() const { return grants_.empty(); }

 private:
  struct Resolved;
  Error resolve(std::string_view guest_path, Resolved& out) const;

  struct GrantEntry {
    Grant grant;
    std::unique_ptr<HostDir> host;  // for host grants
  };
  std::vector<GrantEntry> grants_;
  Tree* tree_;
  std::size_t read_limit_;
};

}  // namespace zinnia::fusefs::guest
