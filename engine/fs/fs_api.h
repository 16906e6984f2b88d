#pragma once
#include "engine/fs/guest_fs.h"
#include "engine/v8/bind.h"

namespace zinnia::engine {

// The natives behind `zinnia:fs` (fsStat, fsReadFile, fsRead, fsReadDir, fsWatch, fsUnwatch)
// over the module's GuestFs (ApiConfig::fs). With a null GuestFs every path is
// PermissionDenied: a module without grants sees nothing.
const bind::Extension& fs_extension();

}  // namespace zinnia::engine
