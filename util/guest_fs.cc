#include "util/guest_fs.h"

#include <cerrno>

namespace zinnia {

const char* guest_fs_error_name(GuestFs::Error error) {
  switch (error) {
    case GuestFs::Error::kOk:
      return "Ok";
    case GuestFs::Error::kNotFound:
      return "NotFound";
    case GuestFs::Error::kPermissionDenied:
      return "PermissionDenied";
    case GuestFs::Error::kNotADirectory:
      return "NotADirectory";
    case GuestFs::Error::kIsADirectory:
      return "IsADirectory";
    case GuestFs::Error::kNotSupported:
      return "NotSupported";
    case GuestFs::Error::kIo:
      return "Io";
    case GuestFs::Error::kNotAFile:
      return "NotAFile";
    case GuestFs::Error::kTooLarge:
      return "TooLarge";
  }
  return "Io";
}

GuestFs::Error guest_fs_error_from_errno(int err) {
  switch (err) {
    case 0:
      return GuestFs::Error::kOk;
    case ENOENT:
      return GuestFs::Error::kNotFound;
    case ENOTDIR:
      return GuestFs::Error::kNotADirectory;
    case EISDIR:
      return GuestFs::Error::kIsADirectory;
    // EXDEV: openat2 RESOLVE_BENEATH refused a path (a symlink) leading out of the grant.
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
    case EROFS:
    case ENAMETOOLONG:
      return GuestFs::Error::kPermissionDenied;
    default:
      return GuestFs::Error::kIo;
  }
}

}  // namespace zinnia
