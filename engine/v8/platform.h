#pragma once
#include <string>
#include <string_view>

namespace v8 {
class Platform;
}

namespace zinnia::engine {

// Initialises the process-wide V8 platform once; later calls do nothing.
// Must run before any isolate is created, and before no fork(): fork() after
// V8::Initialize hangs the child. `extra_flags` (e.g. `zinnia run --v8-flags=`) are set after
// the engine's own; they count only on the first call.
void initialize_v8(std::string_view extra_flags = {});

// Every V8 flag the process set (the engine's, then the extra ones): part of the code cache's
// key, since code compiled under other flags must not be reused.
const std::string& v8_flags();

// Tears the platform down; only at process exit, after every isolate is disposed (every
// engine::Runtime destroyed).
void shutdown_v8();

// "10.2.154.26-node.37"
const char* v8_version();

// The process-wide platform (after initialize_v8()); the loop pumps its foreground tasks.
v8::Platform* v8_platform();

}  // namespace zinnia::engine
