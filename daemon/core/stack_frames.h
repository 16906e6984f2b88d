#pragma once
#include <string>

namespace zinnia::daemon {

// The stack frames of an error report ("    at ..." lines), without the "Error: boom" header
// that repeats the message. Header-only: the `zinnia` CLI uses it without the daemon's
// libraries.
inline std::string stack_frames(const std::string& stack) {
  std::size_t pos = 0;
  while (pos < stack.size()) {
    if (stack.compare(pos, 7, "    at ") == 0) return stack.substr(pos);
    auto nl = stack.find('\n', pos);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return {};
}

}  // namespace zinnia::daemon
