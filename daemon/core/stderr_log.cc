#include "daemon/core/stderr_log.h"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <thread>

namespace zinnia::daemon {

namespace {

const char* level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO ";
    case spdlog::level::warn:
      return "WARN ";
    default:
      return "ERROR";
  }
}

const char* level_color(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "\x1b[34m";
    case spdlog::level::info:
      return "\x1b[32m";
    case spdlog::level::warn:
      return "\x1b[33m";
    default:
      return "\x1b[31m";
  }
}

void append_record(std::string& out, std::chrono::system_clock::time_point when,
                   spdlog::level::level_enum level, std::string_view target, std::string_view text,
                   bool color) {
  // The stamp changes once a second: format it then, not for every record.
  thread_local std::time_t last = -1;
  thread_local char stamp[32];
  thread_local std::size_t stamp_len = 0;
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  if (t != last) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    stamp_len = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    last = t;
  }
  out += '[';
  out.append(stamp, stamp_len);
  out += ' ';
  if (color) out += level_color(level);
  out += level_name(level);
  if (color) out += "\x1b[0m";
  out += ' ';
  out += target;
  out += "] ";
  out += text;
}

// Writes records with write(2) on the writer thread (one thread: no lock needed). Records
// already queued behind this one are coalesced into one write (up to 64 KiB): a module that
// prints a lot costs one syscall per batch, not per line.
class FdSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  FdSink(int fd, spdlog::details::thread_pool& pool, std::atomic<std::size_t>& queued_bytes)
      : fd_(fd), pool_(pool), queued_bytes_(queued_bytes) {}
  std::atomic<std::uint64_t> flushes{0};
  std::atomic<std::uint64_t> records{0};  // formatted so far: the writer's progress
  std::atomic<std::uint64_t> bytes{0};    // written so far: progress inside a huge record

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()).starts_with("module:"))
      queued_bytes_.fetch_sub(msg.payload.size(), std::memory_order_relaxed);
    formatter_->format(msg, buf_);
    records.fetch_add(1, std::memory_order_relaxed);
    if (buf_.size() >= kBatchBytes || pool_.queue_size() == 0) write_out();
  }
  // Runs after every record queued before the flush was formatted.
  void flush_() override {
    write_out();
    flushes.fetch_add(1);
  }

 private:
  static constexpr std::size_t kBatchBytes = 64 * 1024;

  void write_out() {
    std::size_t done = 0;
    while (done < buf_.size()) {
      // A pipe-sized write at a time: a blocking write of a huge record returns only when
      // all of it is read, and flush() watches `bytes` to tell a slow reader from a gone one.
      ssize_t n = ::write(fd_, buf_.data() + done, std::min(buf_.size() - done, kBatchBytes));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr closed: nothing useful to do
      done += static_cast<std::size_t>(n);
      bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
    buf_.clear();
  }

  int fd_;
  spdlog::details::thread_pool& pool_;
  std::atomic<std::size_t>& queued_bytes_;
  spdlog::memory_buf_t buf_;
};

// A module's console lines: like the async logger it wraps, but when the queue is nearly
// full it waits for the writer while the writer makes progress (stderr is being read, just
// slower than the module prints), so no line is lost to a busy reader. Only a writer that has
// not moved for kStall (stderr blocked: nobody reads) lets records drop, and after that
// nobody waits again until the writer moves.
class ModuleLogger final : public spdlog::logger {
 public:
  struct Bytes {
    std::size_t max;
    std::atomic<std::size_t>& queued;
    std::atomic<std::size_t>& dropped;
  };
  ModuleLogger(std::shared_ptr<spdlog::async_logger> inner, spdlog::details::thread_pool& pool,
               FdSink& sink, std::size_t queue_records, std::atomic<std::uint64_t>& stalled_at,
               Bytes bytes)
      : spdlog::logger(inner->name()),
        inner_(std::move(inner)),
        pool_(pool),
        sink_(sink),
        high_(queue_records - queue_records / 4),
        low_(queue_records / 2),
        stalled_at_(stalled_at),
        bytes_(bytes) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::size_t size = msg.payload.size();
    if (pool_.queue_size() >= high_ || !fits(size)) wait_for_room();
    if (!fits(size)) {
      bytes_.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    bytes_.queued.fetch_add(size, std::memory_order_relaxed);
    inner_->log(msg.time, msg.source, msg.level, msg.payload);
  }
  void flush_() override { inner_->flush(); }

 private:
  // Long enough that a reader starved by a loaded machine is not taken for one that stopped.
  static constexpr auto kStall = std::chrono::seconds(1);

  bool fits(std::size_t size) const {
    const std::size_t queued = bytes_.queued.load(std::memory_order_relaxed);
    return queued == 0 || queued + size <= bytes_.max;
  }

  void wait_for_room() {
    std::uint64_t progress = sink_.records.load(std::memory_order_relaxed);
    if (progress == stalled_at_.load(std::memory_order_relaxed)) return;
    auto moved = std::chrono::steady_clock::now();
    while (pool_.queue_size() > low_ ||
           bytes_.queued.load(std::memory_order_relaxed) > bytes_.max / 2) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      const std::uint64_t now_progress = sink_.records.load(std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now_progress != progress) {
        progress = now_progress;
        moved = now;
      } else if (now - moved >= kStall) {
        stalled_at_.store(progress, std::memory_order_relaxed);
        return;
      }
    }
  }

  std::shared_ptr<spdlog::async_logger> inner_;
  spdlog::details::thread_pool& pool_;
  FdSink& sink_;
  std::size_t high_, low_;
  std::atomic<std::uint64_t>& stalled_at_;
  Bytes bytes_;
};

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kDebug:
      return spdlog::level::debug;
  }
  return spdlog::level::info;
}

}  // namespace

std::string format_record(std::chrono::system_clock::time_point when,
                          spdlog::level::level_enum level, std::string_view target,
                          std::string_view text, bool color) {
  std::string out;
  append_record(out, when, level, target, text, color);
  return out;
}

void RecordFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  thread_local std::string out;
  out.clear();
  append_record(out, msg.time, msg.level,
                std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                std::string_view(msg.payload.data(), msg.payload.size()), color_);
  out += '\n';
  dest.append(out.data(), out.data() + out.size());
}

std::unique_ptr<spdlog::formatter> RecordFormatter::clone() const {
  return std::make_unique<RecordFormatter>(color_);
}

StderrLog::StderrLog(int fd, LogLevel daemon_level, bool color, std::size_t queue_records,
                     std::size_t queue_bytes)
    : pool_(std::make_shared<spdlog::details::thread_pool>(queue_records, 1)),
      sink_(std::make_shared<FdSink>(fd, *pool_, queued_bytes_)),
      queue_records_(queue_records),
      queue_bytes_(queue_bytes) {
  sink_->set_formatter(std::make_unique<RecordFormatter>(color));
  sink_->set_level(spdlog::level::trace);
  daemon_ = std::make_shared<spdlog::async_logger>("zinniad", sink_, pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  daemon_->set_level(to_spdlog(daemon_level));
}

StderrLog::~StderrLog() { flush(std::chrono::milliseconds(1000), std::chrono::seconds(10)); }

std::shared_ptr<spdlog::logger> StderrLog::module(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& logger = modules_[name];
  if (!logger) {
    auto inner = std::make_shared<spdlog::async_logger>(
        "module:" + name, sink_, pool_, spdlog::async_overflow_policy::overrun_oldest);
    inner->set_level(spdlog::level::trace);
    logger = std::make_shared<ModuleLogger>(
        std::move(inner), *pool_, static_cast<FdSink&>(*sink_), queue_records_, stalled_at_,
        ModuleLogger::Bytes{queue_bytes_, queued_bytes_, byte_drops_});
    logger->set_level(spdlog::level::trace);
  }
  return logger;
}

void StderrLog::report_drops() {
  const std::size_t dropped = pool_->overrun_counter() + byte_drops_.load();
  if (dropped > reported_drops_ && pool_->queue_size() < queue_records_ / 2 &&
      queued_bytes_.load() <= queue_bytes_ / 2) {
    daemon_->warn("stderr was not being read: {} log records were dropped",
                  dropped - reported_drops_);
    reported_drops_ = dropped;
  }
}

bool StderrLog::flush(std::chrono::milliseconds stall, std::chrono::milliseconds max_wait) {
  auto& sink = static_cast<FdSink&>(*sink_);
  auto progress = [&] { return sink.records.load() + sink.bytes.load(); };
  const std::uint64_t before = sink.flushes.load();
  daemon_->flush();
  const auto start = std::chrono::steady_clock::now();
  auto moved = start;
  std::uint64_t last = progress();
  while (sink.flushes.load() == before) {
    const auto now = std::chrono::steady_clock::now();
    if (const std::uint64_t p = progress(); p != last) {
      last = p;
      moved = now;
    } else if (now - moved >= stall) {
      return false;
    }
    if (now - start >= max_wait) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace zinnia::daemon
