// Grants as the manifest declares them: monitor-tree sources need spin_monitoring = true.
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/core/manifest.h"
#include "tests/support/temp_dir.h"

namespace {

using zinnia::daemon::ConfigError;
using zinnia::daemon::load_manifest;

std::string load_error(const std::filesystem::path& dir, const std::string& toml) {
  std::ofstream(dir / "inspector.js") << "";
  std::ofstream(dir / "spin.toml") << toml;
  try {
    load_manifest(dir / "spin.toml", "spin.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(GrantsConfig, MonitorTreeSourceWithoutSpinMonitoringNamesTheComponent) {
  zinnia::testing::TempDir tmp;
  const std::string err = load_error(tmp.path(), R"(spin_manifest_version = 2
[application]
name = "station"
[component.inspector]
source = "inspector.js"
files = [{ source = ".spin/monitor/", destination = "/monitor" }]
)");
  EXPECT_EQ(err,
            "spin.toml:6:22: component 'inspector' reads '.spin/monitor/' from the monitor tree "
            "but does not set spin_monitoring = true");
}

TEST(GrantsConfig, MonitorTreeSourceWithSpinMonitoringLoads) {
  zinnia::testing::TempDir tmp;
  EXPECT_EQ(load_error(tmp.path(), R"(spin_manifest_version = 2
[application]
name = "station"
[component.inspector]
source = "inspector.js"
spin_monitoring = true
files = [{ source = ".spin/monitor/", destination = "/monitor" },
         { source = ".spin/config/", destination = "/config" }]
)"),
            "");
}

}  // namespace
