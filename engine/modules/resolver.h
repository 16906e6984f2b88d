#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace zinnia::engine {

struct ResolveOptions {
  std::filesystem::path root;  // canonical folder of the entry file (the sandbox)
  bool sandboxed = true;       // refuse files outside `root`
};

struct Resolved {
  enum class Kind { kFile, kBuiltin, kError };
  Kind kind = Kind::kError;
  std::string value;  // kFile: canonical path; kBuiltin: "zinnia:x"; kError: the message
};

// Resolves an import specifier against its referrer (a canonical file path, or "zinnia:x" for a
// built-in). Pure C++ (no V8): relative ("./", "../", "/") and file: URLs become canonical paths
// (realpath, so symlinks are followed before the sandbox check); "zinnia:" names stay names;
// every other scheme (https:, node:, data: ...) and bare names are refused. Never throws.
Resolved resolve_specifier(std::string_view specifier, std::string_view referrer,
                           const ResolveOptions& options);

// "file:///a/b%20c.js" for "/a/b c.js".
std::string path_to_file_url(std::string_view path);

}  // namespace zinnia::engine
