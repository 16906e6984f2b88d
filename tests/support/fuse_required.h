#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace zinnia::testing {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::strcmp(ci, "true") == 0;
}

inline bool fuse_device_usable() { return ::access("/dev/fuse", R_OK | W_OK) == 0; }

}  // namespace zinnia::testing

// A test that needs /dev/fuse: skipped on a developer machine without it, failed under CI=true.
#define ZINNIA_REQUIRE_FUSE()                                                            \
  do {                                                                                   \
    if (!::zinnia::testing::fuse_device_usable()) {                                      \
      if (::zinnia::testing::in_ci()) FAIL() << "/dev/fuse is not usable under CI=true"; \
      GTEST_SKIP() << "/dev/fuse is not usable here";                                    \
    }                                                                                    \
  } while (0)
