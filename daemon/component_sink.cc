#include "daemon/component_sink.h"

#include <spdlog/logger.h>

#include <algorithm>

#include "daemon/core/events.h"
#include "daemon/core/stack_frames.h"
#include "engine/runtime/module.h"

namespace zinnia::daemon {

namespace {
spdlog::level::level_enum to_spdlog(engine::Level level) {
  switch (level) {
    case engine::Level::kDebug:
      return spdlog::level::debug;
    case engine::Level::kInfo:
      return spdlog::level::info;
    case engine::Level::kWarn:
      return spdlog::level::warn;
    case engine::Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

ComponentSink::ComponentSink(std::string name, Targets targets)
    : name_(std::move(name)), t_(std::move(targets)) {}

void ComponentSink::console(engine::Level level, std::string_view text) {
  line_.assign(text);
  line_ += '\n';
  const int stream = level >= engine::Level::kWarn ? 1 : 0;
  (stream ? t_.err : t_.out)->append(line_);
  if (t_.log_counts) {
    t_.log_counts->bytes[stream].fetch_add(line_.size(), std::memory_order_relaxed);
    t_.log_counts->lines[stream].fetch_add(
        static_cast<std::uint64_t>(std::count(line_.begin(), line_.end(), '\n')),
        std::memory_order_relaxed);
  }
  t_.stderr_out->add(to_spdlog(level), text);
  // A turn that prints a lot is flushed in parts, keeping memory bounded.
  if (t_.stderr_out->records() >= 512 || t_.stderr_out->bytes() >= (std::size_t{256} << 10))
    flush();
}

void ComponentSink::activity(engine::Level level, std::string_view message) {
  t_.events->post(event_activity(level == engine::Level::kError, name_, message));
}

void ComponentSink::job_completed() {
  t_.jobs->fetch_add(1, std::memory_order_relaxed);
  t_.job_changes->fetch_add(1, std::memory_order_release);
  if (t_.jobs_wake_armed && t_.jobs_wake_armed->exchange(false, std::memory_order_acq_rel) &&
      t_.wake)
    t_.wake();
}

void ComponentSink::turn_end() { flush(); }

void ComponentSink::background(int busy_percent) {
  if (t_.daemon_log)
    t_.daemon_log->info(
        "{} kept a core {}% busy; it runs at background priority (nice {}) until it restarts",
        name_, busy_percent, engine::kBackgroundNice);
}

void ComponentSink::flush() {
  t_.out->flush();
  t_.err->flush();
  t_.stderr_out->submit();
}

void ComponentSink::exited(const engine::Exit& exit) {
  const bool crashed = exit.reason == engine::ExitReason::kUncaught ||
                       exit.reason == engine::ExitReason::kOutOfMemory ||
                       exit.reason == engine::ExitReason::kHung;
  if (crashed) {
    // The module's own log has no "(hung)" around it: say what happened.
    std::string report =
        exit.reason == engine::ExitReason::kHung ? "hung: " + exit.message : exit.message;
    if (std::string frames = stack_frames(exit.stack); !frames.empty()) report += "\n" + frames;
    console(engine::Level::kError, report);
  }
  flush();
  if (t_.on_exit) t_.on_exit(exit);
}

}  // namespace zinnia::daemon
