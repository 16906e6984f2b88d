#include "engine/v8/platform.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <memory>
#include <mutex>

namespace zinnia::engine {
namespace {
std::once_flag g_init;
std::unique_ptr<v8::Platform> g_platform;
}  // namespace

void initialize_v8() {
  std::call_once(g_init, [] {
    // Import assertions ({type: "json"}) are behind a flag in V8 10.2.
    static const char kFlags[] = "--harmony-import-assertions";
    v8::V8::SetFlagsFromString(kFlags, sizeof(kFlags) - 1);
    g_platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(g_platform.get());
    v8::V8::Initialize();
  });
}

void shutdown_v8() {
  if (!g_platform) return;
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  g_platform.reset();
}

v8::Platform* v8_platform() { return g_platform.get(); }

const char* v8_version() { return v8::V8::GetVersion(); }

}  // namespace zinnia::engine
