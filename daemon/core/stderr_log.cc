#include "daemon/core/stderr_log.h"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

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
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  out += '[';
  out.append(stamp, n);
  out += ' ';
  if (color) out += level_color(level);
  out += level_name(level);
  if (color) out += "\x1b[0m";
  out += ' ';
  out += target;
  out += "] ";
  out += text;
}

// Writes each record with write(2) on the writer thread (one thread: no lock needed).
class FdSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  std::atomic<std::uint64_t> flushes{0};

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::write(fd_, buf.data() + done, buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr closed: nothing useful to do
      done += static_cast<std::size_t>(n);
    }
  }
  // Runs after every record queued before the flush was written.
  void flush_() override { flushes.fetch_add(1); }

 private:
  int fd_;
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
  std::string out;
  append_record(out, msg.time, msg.level,
                std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                std::string_view(msg.payload.data(), msg.payload.size()), color_);
  out += '\n';
  dest.append(out.data(), out.data() + out.size());
}

std::unique_ptr<spdlog::formatter> RecordFormatter::clone() const {
  return std::make_unique<RecordFormatter>(color_);
}

StderrLog::StderrLog(int fd, LogLevel daemon_level, bool color, std::size_t queue_records)
    : pool_(std::make_shared<spdlog::details::thread_pool>(queue_records, 1)),
      sink_(std::make_shared<FdSink>(fd)),
      queue_records_(queue_records) {
  sink_->set_formatter(std::make_unique<RecordFormatter>(color));
  sink_->set_level(spdlog::level::trace);
  daemon_ = std::make_shared<spdlog::async_logger>("zinniad", sink_, pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  daemon_->set_level(to_spdlog(daemon_level));
}

StderrLog::~StderrLog() { flush(std::chrono::milliseconds(1000)); }

std::shared_ptr<spdlog::logger> StderrLog::module(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& logger = modules_[name];
  if (!logger) {
    logger = std::make_shared<spdlog::async_logger>("module:" + name, sink_, pool_,
                                                    spdlog::async_overflow_policy::overrun_oldest);
    logger->set_level(spdlog::level::trace);
  }
  return logger;
}

void StderrLog::report_drops() {
  const std::size_t dropped = pool_->overrun_counter();
  if (dropped > reported_drops_ && pool_->queue_size() < queue_records_ / 2) {
    daemon_->warn("stderr was not being read: {} log records were dropped",
                  dropped - reported_drops_);
    reported_drops_ = dropped;
  }
}

bool StderrLog::flush(std::chrono::milliseconds max_wait) {
  auto& sink = static_cast<FdSink&>(*sink_);
  const std::uint64_t before = sink.flushes.load();
  daemon_->flush();
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  while (sink.flushes.load() == before) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace zinnia::daemon
