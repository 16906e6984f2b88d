// CompressionStream/DecompressionStream natives on zlib (zlib.cc); JS half: js/compression.js.
#pragma once

#include <v8.h>

namespace zinnia::engine::web {

// Adds host.zlibOpen(format, compress) and host.zlibPush(handle, bytes, finish).
void install_zlib(v8::Local<v8::Context> context, v8::Local<v8::Object> host);

}  // namespace zinnia::engine::web
