#pragma once
#include <cstdint>
#include <string>

namespace zinnia::fusefs::guest {

// What a guest is told. Never carries a host path: callers pair it with the guest path.
enum class Errc : std::uint8_t {
  kOk,
  kNotFound,          // inside a grant, nothing there
  kPermissionDenied,  // outside every grant, an escape attempt, a bad path, or a write
  kNotADirectory,
  kIsADirectory,
  kIo,            // the host folder failed underneath (EIO and friends)
  kNotSupported,  // follow() of a host-folder file: only monitor-tree files can be followed
};

// "NotFound", "PermissionDenied", ...: the JS error class names.
const char* errc_name(Errc err);

// Maps an errno from a host-folder access to what the guest may learn.
Errc errc_from_errno(int err);

struct Stat {
  std::uint64_t size = 0;
  std::int64_t mtime_ms = 0;  // milliseconds since the epoch
  bool is_file = false;
  bool is_directory = false;
};

struct DirEntry {
  std::string name;
  bool is_file = false;
  bool is_directory = false;
};

}  // namespace zinnia::fusefs::guest
