#include "daemon/guest_fs_adapter.h"

namespace zinnia::daemon {
namespace {

using engine::GuestFs;
using fusefs::guest::Errc;

GuestFs::Error convert(Errc err) {
  switch (err) {
    case Errc::kOk:
      return GuestFs::Error::kOk;
    case Errc::kNotFound:
      return GuestFs::Error::kNotFound;
    case Errc::kPermissionDenied:
      return GuestFs::Error::kPermissionDenied;
    case Errc::kNotADirectory:
      return GuestFs::Error::kNotADirectory;
    case Errc::kIsADirectory:
      return GuestFs::Error::kIsADirectory;
    case Errc::kNotSupported:
      return GuestFs::Error::kNotSupported;
    case Errc::kIo:
      return GuestFs::Error::kIo;
  }
  return GuestFs::Error::kIo;
}

class WatchSubscription : public GuestFs::Subscription {
 public:
  explicit WatchSubscription(fusefs::Watch watch) : watch_(std::move(watch)) {}

 private:
  fusefs::Watch watch_;
};

}  // namespace

GuestFsAdapter::GuestFsAdapter(std::shared_ptr<const fusefs::guest::GuestView> view)
    : view_(std::move(view)) {}

GuestFs::Error GuestFsAdapter::stat(const std::string& path, Stat& out) {
  fusefs::guest::Stat st;
  const Errc err = view_->stat(path, st);
  out = Stat{st.size, st.mtime_ms, st.is_file, st.is_directory};
  return convert(err);
}

GuestFs::Error GuestFsAdapter::read_file(const std::string& path, std::string& out) {
  return convert(view_->read_file(path, out));
}

GuestFs::Error GuestFsAdapter::read(const std::string& path, std::uint64_t offset, std::size_t max,
                                    std::string& out) {
  return convert(view_->read(path, offset, max, out));
}

GuestFs::Error GuestFsAdapter::list(const std::string& path, std::vector<Entry>& out) {
  std::vector<fusefs::guest::DirEntry> entries;
  const Errc err = view_->list(path, entries);
  out.clear();
  for (auto& e : entries) out.push_back(Entry{std::move(e.name), e.is_file, e.is_directory});
  return convert(err);
}

GuestFs::Error GuestFsAdapter::watch(const std::string& path, std::function<void()> changed,
                                     std::unique_ptr<Subscription>& out) {
  fusefs::Watch w;
  const Errc err = view_->watch(path, std::move(changed), w);
  if (err == Errc::kOk) out = std::make_unique<WatchSubscription>(std::move(w));
  return convert(err);
}

std::shared_ptr<engine::GuestFs> make_guest_fs(const Component& component, fusefs::Tree& tree) {
  std::vector<fusefs::guest::Grant> grants;
  for (const auto& file : component.files) {
    fusefs::guest::Grant g;
    g.destination = file.destination;
    if (file.in_tree) {
      g.tree_path = file.tree_path;
    } else {
      g.host_dir = file.host_path;
    }
    grants.push_back(std::move(g));
  }
  return std::make_shared<GuestFsAdapter>(
      std::make_shared<fusefs::guest::GuestView>(std::move(grants), &tree));
}

}  // namespace zinnia::daemon
