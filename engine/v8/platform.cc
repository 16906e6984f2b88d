#include "engine/v8/platform.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <memory>
#include <mutex>

namespace zinnia::engine {
namespace {
std::once_flag g_init;
std::unique_ptr<v8::Platform> g_platform;
std::string g_flags;  // written once, inside g_init
}  // namespace

void initialize_v8(std::string_view extra_flags) {
  std::call_once(g_init, [extra_flags] {
    // V8 10.2 keeps these behind flags; Station modules use them today (docs/engine.md):
    // import assertions (`assert {type: "json"}`) and attributes (`with {...}`, Debian's
    // backport), and resizable ArrayBuffers (`new ArrayBuffer(0, {maxByteLength})`).
    // --no-verify-snapshot-checksum: V8 10.2 checksums the whole startup snapshot at every
    // Isolate::New (3M instructions for ours, engine/runtime/snapshot.h); the blob is in the
    // binary's read-only data, and the code cache file has its own checksum (code_cache.h).
    g_flags =
        "--harmony-import-assertions --harmony-import-attributes --harmony-rab-gsab "
        "--no-verify-snapshot-checksum";
    if (!extra_flags.empty()) g_flags.append(" ").append(extra_flags);
    v8::V8::SetFlagsFromString(g_flags.data(), g_flags.size());
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

const std::string& v8_flags() { return g_flags; }

const char* v8_version() { return v8::V8::GetVersion(); }

}  // namespace zinnia::engine
