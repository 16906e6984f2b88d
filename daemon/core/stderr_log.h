#pragma once
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "daemon/core/config.h"

namespace spdlog::details {
class thread_pool;
}

namespace zinnia::daemon {

// One zinniad stderr record, without the trailing newline:
// "[2025-01-23T22:55:24Z INFO  module:spark] text" (UTC; DEBUG INFO WARN ERROR padded to 5).
std::string format_record(std::chrono::system_clock::time_point when,
                          spdlog::level::level_enum level, std::string_view target,
                          std::string_view text, bool color = false);

// spdlog formatter for that format; the logger's name is the target.
class RecordFormatter final : public spdlog::formatter {
 public:
  explicit RecordFormatter(bool color) : color_(color) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  bool color_;
};

// The daemon's stderr: records go through a bounded queue to a writer thread, so a stderr
// pipe nobody reads never blocks a module; past the bound the oldest records are dropped
// and the count is reported once the writer catches up. Module records are also bounded in
// bytes (`queue_bytes`; a record alone in the queue is always taken): past it new module
// records are dropped and counted the same way, so 10 MiB lines to a stalled stderr cannot
// grow memory without end. A module that prints faster than a
// stderr that is being read waits for the writer instead (no line is dropped then).
class StderrLog {
 public:
  StderrLog(int fd, LogLevel daemon_level, bool color, std::size_t queue_records = 8192,
            std::size_t queue_bytes = kDefaultQueueBytes);
  static constexpr std::size_t kDefaultQueueBytes = std::size_t{32} << 20;
  ~StderrLog();
  StderrLog(const StderrLog&) = delete;
  StderrLog& operator=(const StderrLog&) = delete;

  // The daemon's own lines (target "zinniad"), filtered by ZINNIA_LOG.
  spdlog::logger& daemon() { return *daemon_; }
  // A module's console lines (target "module:<name>"), never filtered.
  std::shared_ptr<spdlog::logger> module(const std::string& name);
  // Reports dropped records, if any, once the queue has room again. Call periodically.
  void report_drops();
  // Waits until the records queued so far are written, as long as the writer makes progress:
  // false once it has not moved for `stall` (stderr blocked: nobody reads) or after
  // `max_wait` in all, after which the process should leave without destroying this. A
  // slow reader of a 16 MiB line is waited for; a stalled one is not.
  bool flush(std::chrono::milliseconds stall, std::chrono::milliseconds max_wait);

 private:
  // Module record bytes queued and not yet formatted by the writer; module records dropped
  // for want of room in bytes.
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<std::size_t> byte_drops_{0};
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  spdlog::sink_ptr sink_;
  std::shared_ptr<spdlog::logger> daemon_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> modules_;
  std::size_t queue_records_;
  std::size_t queue_bytes_;
  std::size_t reported_drops_ = 0;
  // The writer's progress count when module loggers last gave up waiting for it.
  std::atomic<std::uint64_t> stalled_at_{~std::uint64_t{0}};
};

}  // namespace zinnia::daemon
