#pragma once
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace zinnia::daemon {

// A usage or configuration error: the daemon prints what() as one line and exits 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A `files` entry of a component: a folder granted to the guest at `destination`.
struct FileGrant {
  std::string source;       // as written, e.g. ".spin/monitor/" or "data/"
  std::string destination;  // absolute guest path, e.g. "/monitor"
  // For ".spin/..." sources: the place in the monitor tree ("monitor/", "" for the root).
  bool in_tree = false;
  std::string tree_path;
  std::filesystem::path host_path;  // other sources: canonical, inside the manifest's folder
};

struct Component {
  std::string id;
  std::string source;           // as written
  std::filesystem::path entry;  // absolute, normalised
  bool spin_monitoring = false;
  std::vector<FileGrant> files;
};

// The effective app manifest (Spin v2 shape; v1 is normalised to it).
struct Manifest {
  std::string app;
  std::filesystem::path path;  // empty when synthesised from positional modules
  std::vector<Component> components;

  const Component* find(const std::string& id) const;
};

// Reads and validates a spin.toml (v1 or v2). Throws ConfigError "file:line:col: what",
// naming the file `display` (as the user wrote it) if given.
Manifest load_manifest(const std::filesystem::path& path, const std::string& display = {});

// The component name for a positional module path: spark/main.js and spark/index.js ->
// "spark", ping.js -> "ping".
std::string component_name_from_path(const std::filesystem::path& path);

// True for a valid manifest component id (Spin's kebab-case: "spark", "retrieval-checker").
bool valid_component_id(const std::string& id);
// True for a name usable as a log folder (positional modules: letters, digits, . _ -).
bool valid_component_name(const std::string& name);

// The manifest as JSON / TOML text for config/<app>/manifest.{json,toml}.
std::string manifest_json(const Manifest& manifest);
std::string manifest_toml(const Manifest& manifest);

}  // namespace zinnia::daemon
