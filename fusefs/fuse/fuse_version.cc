#include "fusefs/fuse/fuse_version.h"

#include <fuse_lowlevel.h>

namespace zinnia::fusefs {

const char* fuse_version() { return fuse_pkgversion(); }

}  // namespace zinnia::fusefs
