#include <cstdio>
#include <cstring>

#include "daemon/version.h"

namespace {
constexpr const char kUsage[] = R"(Usage: zinniad [OPTIONS] [MODULE...]
Runs Filecoin Station modules, each in its own V8 isolate, with a live monitor tree.

  MODULE             path to a JS entry file (resolved from the working directory),
                     or NAME=PATH to give the component its name explicitly
  --manifest PATH    app manifest (spin.toml style); env ZINNIA_MANIFEST
  --app NAME         app name; default: the manifest's, else "zinniad"; env ZINNIA_APP
  --spin-root DIR    where logs persist; default $HOME/.spin; env SPIN_ROOT
  --mount DIR        where the live monitor tree is mounted with FUSE; env ZINNIA_MOUNT;
                     default $XDG_RUNTIME_DIR/zinniad/<app>, else <spin-root>/<app>/monitor
  --no-mount         run without the FUSE mount (everything else unchanged)
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
      std::puts(zinnia::daemon::version_line("zinniad").c_str());
      return 0;
    }
  }
  std::fputs("zinniad: not implemented yet\n", stderr);
  return 1;
}
