// Fuzzes the guest path normaliser: whatever the input, an accepted path is absolute,
// normalised, UTF-8, and a fixed point; nothing climbs above "/".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fusefs/guest/guest_path.h"
#include "util/utf8.h"

using zinnia::GuestFs;
using zinnia::fusefs::guest::normalize_guest_path;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto result = normalize_guest_path(input);
  if (result.err != GuestFs::Error::kOk) {
    CHECK(result.err == GuestFs::Error::kPermissionDenied);
    return 0;
  }
  const std::string& p = result.path;
  CHECK(!p.empty() && p[0] == '/');
  CHECK(p == "/" || p.back() != '/');
  CHECK(p.find("//") == std::string::npos);
  CHECK(p.find('\0') == std::string::npos);
  CHECK(zinnia::valid_utf8(p));
  // No "." or ".." component survives.
  CHECK(p.find("/./") == std::string::npos && p.find("/../") == std::string::npos);
  CHECK(p.size() < 2 ||
        (p.substr(p.size() - 2) != "/." && (p.size() < 3 || p.substr(p.size() - 3) != "/..")));
  // Normalising again changes nothing.
  const auto again = normalize_guest_path(p);
  CHECK(again.err == GuestFs::Error::kOk && again.path == p);
  return 0;
}
