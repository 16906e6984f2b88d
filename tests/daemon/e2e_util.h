#pragma once
#include <filesystem>
#include <string>

#include "tests/support/daemon_harness.h"

namespace zinnia::testing {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/daemon/fixtures" / name;
}

}  // namespace zinnia::testing
