#include <cstdio>
#include <cstring>

#include "daemon/version.h"

namespace {
constexpr const char kUsage[] = R"(Usage: zinnia run FILE
Runs one module with no sandbox and human-readable output.

  run FILE           run the ES module FILE
  -h, --help         usage;  -V, --version  version
)";
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "-V") || !std::strcmp(argv[i], "--version")) {
      std::puts(zinnia::daemon::version_line("zinnia").c_str());
      return 0;
    }
  }
  std::fputs("zinnia: not implemented yet\n", stderr);
  return 2;
}
