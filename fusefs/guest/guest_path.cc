#include "fusefs/guest/guest_path.h"

#include <vector>

#include "util/utf8.h"

namespace zinnia::fusefs::guest {

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
      !valid_utf8(path)) {
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
