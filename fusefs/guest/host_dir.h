#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/guest_fs.h"
#include "util/unique_fd.h"

namespace zinnia::fusefs::guest {

// A host folder granted to a guest, read-only. Every access resolves below the folder with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither ".." nor a symlink planted
// inside the folder can reach outside it, whatever the path string says.
class HostDir {
 public:
  // Opens the folder; throws std::system_error naming it if that fails.
  explicit HostDir(const std::filesystem::path& dir);

  // `rel` is relative to the folder ("" for the folder itself), already normalised.
  GuestFs::Error stat(std::string_view rel, GuestFs::Stat& out) const;
  // Reads up to `max` bytes from `offset`. Only regular files are opened (kNotAFile
  // otherwise): a FIFO would block the reading thread, a device might never end.
  GuestFs::Error read(std::string_view rel, std::uint64_t offset, std::size_t max,
                      std::string& out) const;
  // Reads the whole file: kTooLarge past `limit` bytes, kNotAFile for a FIFO or device.
  GuestFs::Error read_all(std::string_view rel, std::size_t limit, std::string& out) const;
  GuestFs::Error read_all(std::string_view rel, std::string& out) const {
    return read_all(rel, kDefaultReadLimit, out);
  }
  static constexpr std::size_t kDefaultReadLimit = std::size_t{64} << 20;
  GuestFs::Error list(std::string_view rel, std::vector<GuestFs::Entry>& out) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  // openat2 below the folder; returns the fd or -errno.
  int open_beneath(std::string_view rel, int flags) const;
  // A regular file opened for reading, or the error to report; never opens anything else.
  GuestFs::Error open_regular(std::string_view rel, UniqueFd& out, struct stat& st) const;

  std::filesystem::path path_;
  UniqueFd dir_;
};

}  // namespace zinnia::fusefs::guest
