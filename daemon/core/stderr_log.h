#pragma once
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/core/config.h"

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
// and the count is reported once the writer catches up. The queue is bounded in records and
// in bytes (`queue_bytes`; a batch alone in the queue is always taken), so 10 MiB lines to a
// stalled stderr cannot grow memory without end. A module that prints faster than a
// stderr that is being read waits for the writer instead (no line is dropped then).
// A module's lines are formatted on its own thread and queued as one batch per event-loop
// turn (Module), so the queue and the writer thread cost per turn, not per line.
class StderrLog {
 public:
  static constexpr std::size_t kDefaultQueueBytes = std::size_t{32} << 20;
  StderrLog(int fd, LogLevel daemon_level, bool color, std::size_t queue_records = 8192,
            std::size_t queue_bytes = kDefaultQueueBytes);
  ~StderrLog();
  StderrLog(const StderrLog&) = delete;
  StderrLog& operator=(const StderrLog&) = delete;

  // One module's console lines (target "module:<name>", never filtered). Used by one thread
  // at a time (the module's); lines wait in the batch until submit().
  class Module {
   public:
    Module(StderrLog& log, std::string target) : log_(log), target_(std::move(target)) {}
    // Formats one record (stamped now) into the batch.
    void add(spdlog::level::level_enum level, std::string_view text);
    // Queues the batch, in order after everything queued before it.
    void submit();
    std::size_t records() const { return records_; }
    std::size_t bytes() const { return batch_.size(); }

   private:
    StderrLog& log_;
    std::string target_;
    std::string batch_;
    std::size_t records_ = 0;
  };

  // The daemon's own lines (target "zinniad"), filtered by ZINNIA_LOG.
  spdlog::logger& daemon() { return *daemon_; }
  std::shared_ptr<Module> module(const std::string& name);
  // Reports dropped records, if any, once the queue has room again. Call periodically.
  void report_drops();
  // Records dropped so far (monitor/metrics.prom).
  std::uint64_t dropped() const;
  // Waits until the records queued so far are written, as long as the writer makes progress:
  // false once it has not moved for `stall` (stderr blocked: nobody reads) or after
  // `max_wait` in all, after which the process should leave without destroying this. A
  // slow reader of a 16 MiB line is waited for; a stalled one is not.
  bool flush(std::chrono::milliseconds stall, std::chrono::milliseconds max_wait);

 private:
  struct Batch {
    std::string text;  // formatted records, each ending in '\n'
    std::size_t records;
  };
  class DaemonSink;
  // Queues a batch; with `wait`, first waits for room while the writer makes progress.
  void push(std::string text, std::size_t records, bool wait);
  void wait_for_room(std::unique_lock<std::mutex>& lock);
  void run_writer();
  void write_all(const std::string& text);

  const int fd_;
  const bool color_;
  const std::size_t queue_records_, high_, low_, queue_bytes_;
  std::shared_ptr<spdlog::logger> daemon_;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_, progressed_;
  std::deque<Batch> queue_;  // guarded by mutex_
  std::size_t queued_records_ = 0;
  std::size_t queued_bytes_ = 0;
  std::uint64_t pushed_ = 0;   // batches queued so far
  std::uint64_t settled_ = 0;  // batches written or dropped so far
  std::size_t dropped_ = 0;    // records dropped so far
  std::size_t reported_drops_ = 0;
  bool stop_ = false;
  // The writer's progress: records written, and bytes (progress inside a huge record).
  std::atomic<std::uint64_t> written_records_{0}, written_bytes_{0};
  // The writer's progress count when modules last gave up waiting for it.
  std::uint64_t stalled_at_ = ~std::uint64_t{0};  // guarded by mutex_
  std::thread writer_;
};

}  // namespace zinnia::daemon
