#pragma once
#include <cstddef>
#include <memory>

#include "engine/v8/isolate.h"

namespace zinnia::engine {

// Isolate::New costs milliseconds; a background thread keeps one spare isolate ready so
// starting a module does not wait for it. Returns a fresh isolate with this heap limit (made on
// the calling thread when no spare with that limit is ready).
std::unique_ptr<IsolateHolder> take_isolate(std::size_t heap_limit_bytes);

// Disposes the spare and stops the background thread (before shutdown_v8()).
void drain_isolate_pool();

}  // namespace zinnia::engine
