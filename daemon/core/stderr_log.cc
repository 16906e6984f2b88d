#include "daemon/core/stderr_log.h"

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <vector>

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

// The daemon's own lines: formatted on the calling thread and queued as a one-record batch
// (never waiting: the daemon must not block on a stderr nobody reads).
class StderrLog::DaemonSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit DaemonSink(StderrLog& log) : log_(log) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    log_.push(std::string(buf.data(), buf.size()), 1, false);
  }
  void flush_() override {}

 private:
  StderrLog& log_;
};

namespace {
// A record's stamp has whole seconds, so the coarse clock (the time at the last tick, a few ms
// old at most) is exact enough, and reading it is a load where system_clock::now() reads the
// clock source: 5% of zinniad's CPU when a module printed a million lines.
std::chrono::system_clock::time_point coarse_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}
}  // namespace

void StderrLog::Module::add(spdlog::level::level_enum level, std::string_view text) {
  append_record(batch_, coarse_now(), level, target_, text, log_.color_);
  batch_ += '\n';
  ++records_;
}

void StderrLog::Module::submit() {
  if (records_ == 0) return;
  const std::size_t reserve = std::min<std::size_t>(batch_.size(), std::size_t{64} << 10);
  std::string text = std::move(batch_);
  batch_ = std::string();
  batch_.reserve(reserve);
  log_.push(std::move(text), records_, true);
  records_ = 0;
}

StderrLog::StderrLog(int fd, LogLevel daemon_level, bool color, std::size_t queue_records,
                     std::size_t queue_bytes)
    : fd_(fd),
      color_(color),
      queue_records_(queue_records),
      high_(queue_records - queue_records / 4),
      low_(queue_records / 2),
      queue_bytes_(queue_bytes) {
  auto sink = std::make_shared<DaemonSink>(*this);
  sink->set_formatter(std::make_unique<RecordFormatter>(color));
  sink->set_level(spdlog::level::trace);
  daemon_ = std::make_shared<spdlog::logger>("zinniad", std::move(sink));
  daemon_->set_level(to_spdlog(daemon_level));
  writer_ = std::thread([this] { run_writer(); });
}

StderrLog::~StderrLog() {
  flush(std::chrono::milliseconds(1000), std::chrono::seconds(10));
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();  // writes what is left, as spdlog's pool did
}

std::shared_ptr<StderrLog::Module> StderrLog::module(const std::string& name) {
  return std::make_shared<Module>(*this, "module:" + name);
}

void StderrLog::push(std::string text, std::size_t records, bool wait) {
  std::unique_lock lock(mutex_);
  if (wait && (queued_records_ >= high_ || queued_bytes_ >= queue_bytes_ - queue_bytes_ / 4))
    wait_for_room(lock);
  // Past either bound the oldest batches go, counted by their records.
  while (!queue_.empty() && (queued_records_ + records > queue_records_ ||
                             queued_bytes_ + text.size() > queue_bytes_)) {
    dropped_ += queue_.front().records;
    queued_records_ -= queue_.front().records;
    queued_bytes_ -= queue_.front().text.size();
    queue_.pop_front();
    ++settled_;
  }
  queued_records_ += records;
  queued_bytes_ += text.size();
  queue_.push_back({std::move(text), records});
  ++pushed_;
  lock.unlock();
  wake_writer_.notify_one();
}

// Waits while the writer makes progress (stderr is being read, just slower than the module
// prints), so no line is lost to a busy reader. Only a writer that has not moved for kStall
// (nobody reads) lets records drop, and after that nobody waits again until it moves.
void StderrLog::wait_for_room(std::unique_lock<std::mutex>& lock) {
  // Long enough that a reader starved by a loaded machine is not taken for one that stopped.
  constexpr auto kStall = std::chrono::seconds(1);
  std::uint64_t progress = written_records_.load(std::memory_order_relaxed);
  if (progress == stalled_at_) return;
  auto moved = std::chrono::steady_clock::now();
  while ((queued_records_ > low_ || queued_bytes_ > queue_bytes_ / 2) && !stop_) {
    progressed_.wait_for(lock, std::chrono::milliseconds(10));
    const std::uint64_t now_progress = written_records_.load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (now_progress != progress) {
      progress = now_progress;
      moved = now;
    } else if (now - moved >= kStall) {
      stalled_at_ = progress;
      return;
    }
  }
}

void StderrLog::run_writer() {
  // Batches are taken up to 64 KiB at a time and written in one piece: a module that prints
  // a lot costs one syscall per 64 KiB, not per line.
  constexpr std::size_t kWriteBytes = std::size_t{64} * 1024;
  std::string out;
  std::vector<Batch> taken;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything is written
    std::size_t bytes = 0;
    while (!queue_.empty() &&
           (taken.empty() || bytes + queue_.front().text.size() <= kWriteBytes)) {
      bytes += queue_.front().text.size();
      queued_records_ -= queue_.front().records;
      queued_bytes_ -= queue_.front().text.size();
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::size_t records = 0;
    if (taken.size() == 1) {
      write_all(taken.front().text);
    } else {
      out.clear();
      for (const Batch& b : taken) out += b.text;
      write_all(out);
    }
    for (const Batch& b : taken) records += b.records;
    written_records_.fetch_add(records, std::memory_order_relaxed);
    const std::size_t batches = taken.size();
    taken.clear();
    lock.lock();
    settled_ += batches;
    progressed_.notify_all();
  }
}

void StderrLog::write_all(const std::string& text) {
  constexpr std::size_t kWriteBytes = std::size_t{64} * 1024;
  std::size_t done = 0;
  while (done < text.size()) {
    // A pipe-sized write at a time: a blocking write of a huge record returns only when all
    // of it is read, and flush() watches the bytes to tell a slow reader from a gone one.
    ssize_t n = ::write(fd_, text.data() + done, std::min(text.size() - done, kWriteBytes));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // stderr closed: nothing useful to do
    done += static_cast<std::size_t>(n);
    written_bytes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
}

void StderrLog::report_drops() {
  std::size_t newly = 0;
  {
    std::lock_guard lock(mutex_);
    if (dropped_ > reported_drops_ && queued_records_ < queue_records_ / 2) {
      newly = dropped_ - reported_drops_;
      reported_drops_ = dropped_;
    }
  }
  if (newly > 0) daemon_->warn("stderr was not being read: {} log records were dropped", newly);
}

std::uint64_t StderrLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

bool StderrLog::flush(std::chrono::milliseconds stall, std::chrono::milliseconds max_wait) {
  auto progress = [&] { return written_records_.load() + written_bytes_.load(); };
  std::unique_lock lock(mutex_);
  const std::uint64_t target = pushed_;
  const auto start = std::chrono::steady_clock::now();
  auto moved = start;
  std::uint64_t last = progress();
  while (settled_ < target) {
    const auto now = std::chrono::steady_clock::now();
    if (const std::uint64_t p = progress(); p != last) {
      last = p;
      moved = now;
    } else if (now - moved >= stall) {
      return false;
    }
    if (now - start >= max_wait) return false;
    progressed_.wait_for(lock, std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace zinnia::daemon
