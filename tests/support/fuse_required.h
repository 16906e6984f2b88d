#pragma once
#include <unistd.h>

#include "tests/support/require.h"

namespace zinnia::testing {

inline bool fuse_device_usable() { return ::access("/dev/fuse", R_OK | W_OK) == 0; }

}  // namespace zinnia::testing

// A test that needs /dev/fuse: skipped on a developer machine without it, failed under CI=true.
#define ZINNIA_REQUIRE_FUSE() \
  ZINNIA_REQUIRE(::zinnia::testing::fuse_device_usable(), "/dev/fuse is not usable here")
