#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace zinnia::daemon {

// Station events on stdout: a writer thread writes each queued line with one write(2), so a
// reader splitting on chunks always sees whole lines, and a Station that stops reading
// never blocks a module (past `max_lines` or `max_bytes` queued, new lines are dropped and
// counted; a line alone in the queue is always taken, whatever its size).
class EventWriter {
 public:
  // `on_drops(n)` is called on the writer thread when the queue has drained after `n` lines
  // were dropped, so the daemon can say so once the Station reads again.
  explicit EventWriter(int fd, std::size_t max_lines = 100'000,
                       std::function<void(std::size_t)> on_drops = {},
                       std::size_t max_bytes = kDefaultMaxBytes);
  static constexpr std::size_t kDefaultMaxBytes = std::size_t{16} << 20;
  ~EventWriter();  // flushes (bounded) and joins
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Queues one line (ending in '\n'). Safe from any thread.
  void post(std::string line);
  // Queues a line that supersedes every earlier one posted this way (the job totals). It is
  // never dropped: past the bound it waits aside, replacing the one waiting before, and is
  // queued as soon as the Station has read one line (issue 19 #6).
  void post_latest(std::string line);
  // Waits until everything queued is written; false on timeout.
  bool flush(std::chrono::milliseconds max_wait);
  std::size_t dropped() const;
  // `f` is called once, on the writer thread, when the reader is gone (EPIPE or any write
  // error): the Station has died and the daemon should stop, as the real zinniad does.
  void set_on_closed(std::function<void()> f);

 private:
  void run();
  bool has_room(std::size_t bytes) const;  // mutex_ held

  int fd_;
  std::size_t max_lines_;
  std::size_t max_bytes_;
  std::size_t queued_bytes_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::string latest_;  // post_latest() past the bound; empty: none waiting
  std::size_t writing_ = 0;
  std::size_t dropped_ = 0;
  std::size_t reported_ = 0;  // drops already passed to on_drops_
  std::function<void(std::size_t)> on_drops_;
  std::function<void()> on_closed_;
  bool closed_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zinnia::daemon
