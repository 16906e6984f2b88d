#include "daemon/core/event_writer.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace zinnia::daemon {

EventWriter::EventWriter(int fd, std::size_t max_lines, std::function<void(std::size_t)> on_drops,
                         std::size_t max_bytes)
    : fd_(fd),
      max_lines_(max_lines),
      max_bytes_(max_bytes),
      on_drops_(std::move(on_drops)),
      thread_([this] { run(); }) {}

EventWriter::~EventWriter() {
  flush(std::chrono::milliseconds(1000));
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  // A Station that never reads would hold the writer in write(2) forever: leave it then.
  if (flush(std::chrono::milliseconds(0)) || closed_) {
    thread_.join();
  } else {
    thread_.detach();
  }
}

// Caller holds mutex_. A line alone in the queue always fits, however long.
bool EventWriter::has_room(std::size_t bytes) const {
  return queue_.size() < max_lines_ && (queue_.empty() || queued_bytes_ + bytes <= max_bytes_);
}

void EventWriter::post(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (!has_room(line.size())) {
      ++dropped_;
      return;
    }
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
  }
  cv_.notify_all();
}

void EventWriter::post_latest(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (!has_room(line.size())) {
      latest_ = std::move(line);
      return;
    }
    latest_.clear();  // this one is newer
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
  }
  cv_.notify_all();
}

bool EventWriter::flush(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, max_wait,
                      [this] { return closed_ || (queue_.empty() && writing_ == 0); });
}

std::size_t EventWriter::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void EventWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    std::string line = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= line.size();
    // The first room goes to the waiting totals, after every line queued before them.
    if (!latest_.empty()) {
      queued_bytes_ += latest_.size();
      queue_.push_back(std::exchange(latest_, {}));
    }
    writing_ = 1;
    lock.unlock();
    // One write(2) per line: on a blocking pipe it returns only when all is written.
    std::size_t done = 0;
    bool failed = false;
    while (done < line.size()) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed = true;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    lock.lock();
    writing_ = 0;
    if (failed) {
      closed_ = true;  // the Station went away (EPIPE): nothing more can be delivered
      queue_.clear();
      queued_bytes_ = 0;
    }
    cv_.notify_all();
    if (closed_) {
      if (failed && on_closed_) {
        auto f = std::move(on_closed_);
        lock.unlock();
        f();
        lock.lock();
      }
      return;
    }
    if (queue_.empty() && dropped_ > reported_ && on_drops_) {
      const std::size_t n = dropped_ - reported_;
      reported_ = dropped_;
      lock.unlock();
      on_drops_(n);
      lock.lock();
    }
  }
}

void EventWriter::set_on_closed(std::function<void()> f) {
  std::lock_guard lock(mutex_);
  on_closed_ = std::move(f);
}

}  // namespace zinnia::daemon
