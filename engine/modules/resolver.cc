#include "engine/modules/resolver.h"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <memory>

namespace zinnia::engine {
namespace {

bool has_scheme(std::string_view s, std::string_view* scheme) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') {
      *scheme = s.substr(0, i);
      return true;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return false;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool inside(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

Resolved error(std::string message) { return {Resolved::Kind::kError, std::move(message)}; }

}  // namespace

std::string path_to_file_url(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) ||
        std::string_view("/-_.~!$&'()*+,;=:@").find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Resolved resolve_specifier(std::string_view specifier, std::string_view referrer,
                           const ResolveOptions& options) {
  std::string spec(specifier);
  if (spec.find('\0') != std::string::npos) return error("Invalid module specifier (NUL byte)");
  std::string_view scheme;
  std::string lexical;
  if (has_scheme(spec, &scheme)) {
    if (scheme == "zinnia") return {Resolved::Kind::kBuiltin, spec};
    if (scheme != "file")
      return error("Import of \"" + spec + "\" refused: only local files and zinnia: built-ins " +
                   "can be imported (the " + std::string(scheme) +
                   ": scheme is not supported; Zinnia can import local modules only)");
    std::string_view rest = std::string_view(spec).substr(5);
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
      auto slash = rest.find('/');
      std::string_view host = rest.substr(0, slash);
      if (!host.empty() && host != "localhost")
        return error("Import of \"" + spec + "\" refused: file URLs must not name a host");
      rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
    auto q = rest.find_first_of("?#");
    lexical = percent_decode(rest.substr(0, q));
  } else if (spec.starts_with("/") || spec.starts_with("./") || spec.starts_with("../") ||
             spec == "." || spec == "..") {
    if (referrer.starts_with("zinnia:"))
      return error("Import of \"" + spec + "\" from built-in " + std::string(referrer) +
                   " refused");
    std::filesystem::path base(referrer);
    auto q = spec.find_first_of("?#");
    std::string path = spec.substr(0, q);
    lexical =
        path.starts_with("/") ? path : (base.parent_path() / path).lexically_normal().string();
  } else {
    std::string msg = "Relative import path \"" + spec + "\" not prefixed with / or ./ or ../";
    // The referrer is a host path: a sandboxed module learns nothing of the host from errors.
    if (!options.sandboxed) msg += " (imported from \"" + std::string(referrer) + "\")";
    return error(msg);
  }

  // Sandboxed, every way a file import can fail reads the same and names only the specifier
  // as written, so errors neither show host paths nor tell a file outside from a missing one.
  const auto not_found = [&](std::string_view unsandboxed_detail) {
    if (options.sandboxed)
      return error("Module not found \"" + spec +
                   "\" (a module imports only files inside its own folder)");
    return error("Module not found \"" + path_to_file_url(lexical) + "\"" +
                 std::string(unsandboxed_detail));
  };
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(lexical.c_str(), nullptr),
                                                   &std::free);
  if (!real) return not_found("");
  std::string canonical(real.get());
  if (options.sandboxed && !inside(canonical, options.root.string())) return not_found("");
  std::error_code ec;
  if (std::filesystem::is_directory(canonical, ec)) return not_found(" (a directory)");
  return {Resolved::Kind::kFile, canonical};
}

}  // namespace zinnia::engine
