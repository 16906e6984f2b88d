#pragma once
#include <v8.h>

namespace zinnia::engine {

// Installs the web APIs' natives on `host` (fetch, URL, streams, encoding, crypto, events).
// Called once per module, on the module thread, inside the module's context, after the
// engine's own natives and before any bootstrap JS runs. Defined by engine/web/ when that
// folder has a CMakeLists.txt, else by engine/api/web_hook_default.cc (does nothing).
void install_web_apis(v8::Local<v8::Context> context, v8::Local<v8::Object> host);

}  // namespace zinnia::engine
