#pragma once
#include <v8.h>

#include <memory>

#include "engine/fs/guest_fs.h"

namespace zinnia::engine {

// Installs the natives behind `zinnia:fs` on `host` (fsStat, fsReadFile, fsRead, fsReadDir,
// fsWatch, fsUnwatch). With a null `fs` every path is PermissionDenied: a module without
// grants sees nothing. Module thread, inside `context`.
void install_fs(v8::Local<v8::Context> context, v8::Local<v8::Object> host,
                std::shared_ptr<GuestFs> fs);

}  // namespace zinnia::engine
