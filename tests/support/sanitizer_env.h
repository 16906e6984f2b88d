#pragma once
#include <cstdlib>
#include <string>
#include <vector>

namespace zinnia::testing {

// The sanitizer settings of this test process, as NAME=VALUE entries to add to a child's
// environment: a test that builds a child's environment from scratch must still hand on
// e.g. ASAN_OPTIONS=detect_leaks=0, or a sanitized child judges itself by the defaults.
inline std::vector<std::string> sanitizer_env() {
  std::vector<std::string> out;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) out.push_back(std::string(name) + "=" + value);
  }
  return out;
}

}  // namespace zinnia::testing
