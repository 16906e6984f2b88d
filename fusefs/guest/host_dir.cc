#include "fusefs/guest/host_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"

namespace zinnia::fusefs::guest {
namespace {

GuestFs::Stat to_stat(const struct stat& st) {
  GuestFs::Stat out;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_ms = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  out.is_file = S_ISREG(st.st_mode);
  out.is_directory = S_ISDIR(st.st_mode);
  return out;
}

}  // namespace

HostDir::HostDir(const std::filesystem::path& dir) : path_(dir) {
  dir_.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_) throw_errno("open granted folder", dir.string());
}

int HostDir::open_beneath(std::string_view rel, int flags) const {
  const std::string path = rel.empty() ? std::string(".") : std::string(rel);
  open_how how{};
  // openat2 refuses O_PATH with any flag beyond O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC.
  if (!(flags & O_PATH)) flags |= O_NOCTTY;
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, dir_.get(), path.c_str(), &how, sizeof(how));
  return fd < 0 ? -errno : static_cast<int>(fd);
}

GuestFs::Error HostDir::stat(std::string_view rel, GuestFs::Stat& out) const {
  const int fd = open_beneath(rel, O_PATH);
  if (fd < 0) return guest_fs_error_from_errno(-fd);
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(owned.get(), &st) != 0) return guest_fs_error_from_errno(errno);
  out = to_stat(st);
  return GuestFs::Error::kOk;
}

GuestFs::Error HostDir::open_regular(std::string_view rel, UniqueFd& out, struct stat& st) const {
  // Look before opening: opening a FIFO blocks until a writer comes, opening a device can
  // act on it.
  {
    const int fd = open_beneath(rel, O_PATH);
    if (fd < 0) return guest_fs_error_from_errno(-fd);
    UniqueFd path_fd(fd);
    if (::fstat(path_fd.get(), &st) != 0) return guest_fs_error_from_errno(errno);
    if (S_ISDIR(st.st_mode)) return GuestFs::Error::kIsADirectory;
    if (!S_ISREG(st.st_mode)) return GuestFs::Error::kNotAFile;
  }
  // O_NONBLOCK: should the name have become a FIFO since, the open does not wait.
  const int fd = open_beneath(rel, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return guest_fs_error_from_errno(-fd);
  out.reset(fd);
  if (::fstat(out.get(), &st) != 0) return guest_fs_error_from_errno(errno);
  if (S_ISDIR(st.st_mode)) return GuestFs::Error::kIsADirectory;
  if (!S_ISREG(st.st_mode)) return GuestFs::Error::kNotAFile;
  return GuestFs::Error::kOk;
}

GuestFs::Error HostDir::read(std::string_view rel, std::uint64_t offset, std::size_t max,
                             std::string& out) const {
  UniqueFd owned;
  struct stat st {};
  if (GuestFs::Error err = open_regular(rel, owned, st); err != GuestFs::Error::kOk) return err;
  out.resize(max);
  std::size_t got = 0;
  while (got < max) {
    const ssize_t n =
        ::pread(owned.get(), out.data() + got, max - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return guest_fs_error_from_errno(errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return GuestFs::Error::kOk;
}

GuestFs::Error HostDir::read_all(std::string_view rel, std::size_t limit, std::string& out) const {
  UniqueFd owned;
  struct stat st {};
  if (GuestFs::Error err = open_regular(rel, owned, st); err != GuestFs::Error::kOk) return err;
  if (static_cast<std::uint64_t>(st.st_size) > limit) return GuestFs::Error::kTooLarge;
  out.clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(owned.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return guest_fs_error_from_errno(errno);
    }
    if (n == 0) break;
    // The file may grow while it is read: the limit holds all the same.
    if (out.size() + static_cast<std::size_t>(n) > limit) return GuestFs::Error::kTooLarge;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return GuestFs::Error::kOk;
}

GuestFs::Error HostDir::list(std::string_view rel, std::vector<GuestFs::Entry>& out) const {
  const int fd = open_beneath(rel, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return guest_fs_error_from_errno(-fd);
  DIR* dir = ::fdopendir(fd);  // takes the fd
  if (!dir) {
    const int err = errno;
    ::close(fd);
    return guest_fs_error_from_errno(err);
  }
  out.clear();
  // NOLINTNEXTLINE(concurrency-mt-unsafe): this DIR* is ours alone.
  while (const dirent* ent = ::readdir(dir)) {
    const std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    GuestFs::Entry e;
    e.name = name;
    unsigned char type = ent->d_type;
    if (type == DT_UNKNOWN || type == DT_LNK) {
      // Follow links only as far as the folder allows: a link out reads as neither.
      GuestFs::Stat st;
      const std::string child = rel.empty() ? e.name : std::string(rel) + "/" + e.name;
      if (stat(child, st) == GuestFs::Error::kOk) {
        e.is_file = st.is_file;
        e.is_directory = st.is_directory;
      }
    } else {
      e.is_file = type == DT_REG;
      e.is_directory = type == DT_DIR;
    }
    out.push_back(std::move(e));
  }
  ::closedir(dir);
  return GuestFs::Error::kOk;
}

}  // namespace zinnia::fusefs::guest
