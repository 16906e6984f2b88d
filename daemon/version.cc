#include "daemon/version.h"

#include "daemon/commit.h"  // generated at build time (cmake/ZinniaCommit.cmake)
#include "engine/v8/platform.h"
#include "util/version.h"

namespace zinnia::daemon {

std::string version_line(const char* program) {
  return std::string(program) + " " + kVersion + " (V8 " + engine::v8_version() + ", libfuse " +
         ZINNIA_LIBFUSE_VERSION + ") commit " + ZINNIA_COMMIT;
}

}  // namespace zinnia::daemon
