#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace zinnia::testing {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::strcmp(ci, "true") == 0;
}

}  // namespace zinnia::testing

// A test that needs something of the machine (root, /dev/fuse, a tmpfs mount): skipped on a
// developer machine without it, failed under CI=true, where every test must run.
#define ZINNIA_REQUIRE(condition, what)                                                \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      if (::zinnia::testing::in_ci()) FAIL() << (what) << " (required under CI=true)"; \
      GTEST_SKIP() << (what);                                                          \
    }                                                                                  \
  } while (0)
