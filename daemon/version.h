#pragma once
#include <string>

namespace zinnia::daemon {

// "zinniad 0.1.0 (V8 10.2.154.26-node.37, libfuse 3.14.0) commit fa21f21e1a2b": libfuse as
// built against; the commit as built from ("-dirty" with uncommitted changes, "unknown"
// outside git; -DZINNIA_COMMIT=... overrides it).
std::string version_line(const char* program);

}  // namespace zinnia::daemon
