#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "util/guest_fs.h"

namespace zinnia::fusefs::guest {

inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::size_t kMaxNameBytes = 255;

struct NormalizedPath {
  GuestFs::Error err = GuestFs::Error::kOk;
  std::string path;  // "/" or "/a/b": absolute, no "." or "..", no repeated or trailing '/'
};

// Normalises a guest path once, lexically: "." and repeated slashes vanish, ".." pops a
// component. Relative paths are taken from "/". Refused with kPermissionDenied: ".." above
// "/", NUL bytes, non-UTF-8, percent-encoded dots ("%2e"), over-long paths or names.
NormalizedPath normalize_guest_path(std::string_view path);

// True when `path` (normalised) is `prefix` (normalised) or lies below it.
bool path_within(std::string_view path, std::string_view prefix);

}  // namespace zinnia::fusefs::guest
