#include "fusefs/guest/guest_path.h"

#include <vector>

namespace zinnia::fusefs::guest {

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

namespace {

bool has_encoded_dot(std::string_view name) {
  for (std::size_t i = 0; i + 2 < name.size(); ++i) {
    if (name[i] == '%' && name[i + 1] == '2' && (name[i + 2] == 'e' || name[i + 2] == 'E')) {
      return true;
    }
  }
  return false;
}

}  // namespace

NormalizedPath normalize_guest_path(std::string_view path) {
  auto denied = [] { return NormalizedPath{GuestFs::Error::kPermissionDenied, {}}; };
  if (path.size() > kMaxPathBytes || path.find('\0') != std::string_view::npos ||
      !is_valid_utf8(path)) {
    return denied();
  }
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view name = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      if (parts.empty()) return denied();  // would climb above the guest root
      parts.pop_back();
      continue;
    }
    // Guest paths are not URLs; "%2e%2e" is an attempt to smuggle ".." past a decoder.
    if (name.size() > kMaxNameBytes || has_encoded_dot(name)) return denied();
    parts.push_back(name);
  }
  std::string result;
  result.reserve(path.size() + 1);
  for (const auto& part : parts) {
    result += '/';
    result += part;
  }
  if (result.empty()) result.assign(1, '/');
  NormalizedPath out;
  out.path = std::move(result);
  return out;
}

bool path_within(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return true;
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace zinnia::fusefs::guest
