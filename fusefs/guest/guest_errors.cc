#include "fusefs/guest/guest_errors.h"

#include <cerrno>

namespace zinnia::fusefs::guest {

const char* errc_name(Errc err) {
  switch (err) {
    case Errc::kOk:
      return "Ok";
    case Errc::kNotFound:
      return "NotFound";
    case Errc::kPermissionDenied:
      return "PermissionDenied";
    case Errc::kNotADirectory:
      return "NotADirectory";
    case Errc::kIsADirectory:
      return "IsADirectory";
    case Errc::kIo:
      return "Io";
    case Errc::kNotSupported:
      return "NotSupported";
  }
  return "Io";
}

Errc errc_from_errno(int err) {
  switch (err) {
    case 0:
      return Errc::kOk;
    case ENOENT:
      return Errc::kNotFound;
    case ENOTDIR:
      return Errc::kNotADirectory;
    case EISDIR:
      return Errc::kIsADirectory;
    // EXDEV: openat2 RESOLVE_BENEATH refused a path (a symlink) leading out of the grant.
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
    case EROFS:
    case ENAMETOOLONG:
      return Errc::kPermissionDenied;
    default:
      return Errc::kIo;
  }
}

}  // namespace zinnia::fusefs::guest
