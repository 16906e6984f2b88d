#pragma once
// The engine's outward interface: what a module produces goes to a Sink the embedder
// implements (the daemon, the `zinnia` CLI, tests). Depends on nothing but the standard
// library, so every engine layer may include it.
#include <cstdint>
#include <string>
#include <string_view>

namespace zinnia::engine {

enum class Level : std::uint8_t { kDebug, kInfo, kWarn, kError };

// How a module ended.
enum class ExitReason : std::uint8_t {
  kFinished,     // its event loop drained
  kUncaught,     // an uncaught exception, an unhandled rejection, or a load/compile error
  kOutOfMemory,  // its heap reached the limit
  kHung,         // one turn of JavaScript ran past the watchdog limit
  kStopped,      // Module::stop() from outside
};

struct Exit {
  ExitReason reason = ExitReason::kFinished;
  int code = 0;  // process-style status: 0 ok; 1 error or failed zinnia:test run
  std::string
      message;  // one line, e.g. "Uncaught Error: boom" or "out of memory (heap limit 128 MiB)"
  std::string stack;   // the stack with file:line:col, empty if none
  std::string source;  // the source line and a caret under the column (kUncaught); may be empty
};

// Receives what a module produces. Implemented by the daemon. Every call for one module
// comes from that module's own thread, one at a time.
class Sink {
 public:
  virtual ~Sink() = default;
  // One console.* call, formatted, without a trailing newline (it may contain newlines).
  virtual void console(Level level, std::string_view text) = 0;
  // Zinnia.activity.info (kInfo) / Zinnia.activity.error (kError).
  virtual void activity(Level level, std::string_view message) = 0;
  // Zinnia.jobCompleted().
  virtual void job_completed() = 0;
  // The end of one event-loop turn: the moment to flush output batched during the turn.
  virtual void turn_end() {}
  // The module kept a core `busy_percent` busy and now runs at background priority
  // (ModuleOptions::share_cpu); called once, at the end of a turn or before exited().
  virtual void background(int /*busy_percent*/) {}
  // The module has ended; the last call this sink gets for the module.
  virtual void exited(const Exit& exit) = 0;
};

}  // namespace zinnia::engine
