#pragma once
#include <cstddef>
#include <memory>

#include "engine/v8/isolate.h"

namespace zinnia::engine {

// Isolate::New costs milliseconds; a background thread keeps one spare isolate ready so
// starting a module does not wait for it. Returns a fresh isolate with this heap limit (made on
// the calling thread when no spare with that limit is ready).
std::unique_ptr<IsolateHolder> take_isolate(std::size_t heap_limit_bytes);

// Whether take_isolate() keeps a spare ready (default: yes). A process that runs a single
// module (`zinnia run`) turns it off: there the spare only costs CPU at startup and memory.
void set_isolate_spare(bool enabled);

// Disposes the spare and stops the background thread (before shutdown_v8()).
void drain_isolate_pool();

}  // namespace zinnia::engine
