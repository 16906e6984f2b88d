#pragma once
#include <string>

namespace zinnia::daemon {

// "zinniad 0.1.0 (V8 10.2.154.26-node.37, libfuse 3.14.0)": libfuse as built against.
std::string version_line(const char* program);

}  // namespace zinnia::daemon
