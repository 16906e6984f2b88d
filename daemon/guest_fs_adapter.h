#pragma once
#include <memory>

#include "daemon/core/manifest.h"
#include "engine/fs/guest_fs.h"
#include "fusefs/guest/guest_view.h"

namespace zinnia::daemon {

// Serves a module's zinnia:fs calls from its GuestView: the engine's abstract file access
// wired to the monitor tree's guest face (the engine knows nothing of the tree).
class GuestFsAdapter : public engine::GuestFs {
 public:
  explicit GuestFsAdapter(std::shared_ptr<const fusefs::guest::GuestView> view);

  Error stat(const std::string& path, Stat& out) override;
  Error read_file(const std::string& path, std::string& out) override;
  Error read(const std::string& path, std::uint64_t offset, std::size_t max,
             std::string& out) override;
  Error list(const std::string& path, std::vector<Entry>& out) override;
  Error watch(const std::string& path, std::function<void()> changed,
              std::unique_ptr<Subscription>& out) override;

 private:
  std::shared_ptr<const fusefs::guest::GuestView> view_;
};

// The zinnia:fs view of one component: its `files` grants over the tree and host folders.
// Throws std::system_error naming a host folder that cannot be opened.
std::shared_ptr<engine::GuestFs> make_guest_fs(const Component& component, fusefs::Tree& tree);

}  // namespace zinnia::daemon
