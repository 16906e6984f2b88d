#pragma once
// The engine's name for the file access behind `zinnia:fs` (util/guest_fs.h, shared with
// the monitor tree's guest face, which implements it). The engine calls it on libuv's thread
// pool, never on the module's loop.
#include "util/guest_fs.h"

namespace zinnia::engine {

using GuestFs = ::zinnia::GuestFs;
using ::zinnia::guest_fs_error_name;

}  // namespace zinnia::engine
