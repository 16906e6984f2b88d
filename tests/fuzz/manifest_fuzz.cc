// Fuzzes the app manifest loader (spin.toml v1/v2) on a real folder with module files.
// Whatever the text: it loads, or it throws ConfigError (never anything else, never a crash);
// a loaded manifest has valid, unique component ids, entries that exist, and renders as JSON
// and TOML.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "daemon/core/manifest.h"

namespace fs = std::filesystem;
using zinnia::daemon::ConfigError;
using zinnia::daemon::load_manifest;
using zinnia::daemon::Manifest;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace {

struct AppFolder {
  fs::path base;
  AppFolder() {
    char tmpl[] = "/tmp/zinnia-fuzz-manifest-XXXXXX";
    base = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(base / "spark");
    fs::create_directories(base / "assets/sub");
    for (const char* f : {"spark/main.js", "ping.js", "inspector.js", "assets/sub/x.txt"})
      std::ofstream(base / f) << "console.log(1);\n";
  }
  ~AppFolder() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const AppFolder app;
  const fs::path file = app.base / "spin.toml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  Manifest m;
  try {
    m = load_manifest(file, "spin.toml");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("spin.toml") != std::string::npos);
    return 0;
  }
  std::set<std::string> ids;
  for (const auto& c : m.components) {
    CHECK(ids.insert(c.id).second);
    CHECK(zinnia::daemon::valid_component_id(c.id) || zinnia::daemon::valid_component_name(c.id));
    std::error_code ec;
    CHECK(fs::exists(c.entry, ec));
  }
  CHECK(!zinnia::daemon::manifest_json(m).empty());
  CHECK(!zinnia::daemon::manifest_toml(m).empty());
  return 0;
}
