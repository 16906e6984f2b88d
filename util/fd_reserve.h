#pragma once
#include <functional>

#include "util/unique_fd.h"

namespace zinnia {

// A process-wide reserve of fds for the writes that must not fail (logs, state.json, the
// instance lock): when a module's sockets have taken every other fd, those opens borrow a
// reserve slot, and closes hand the slot back before any neighbour can take it (issue 19 #5).
// Without a live FdReserve the functions below act as plain open/close.
class FdReserve {
 public:
  // Holds `slots` fds on /dev/null (plus one to copy from) for as long as it lives. One at a
  // time per process.
  explicit FdReserve(int slots);
  ~FdReserve();
  FdReserve(const FdReserve&) = delete;
  FdReserve& operator=(const FdReserve&) = delete;

  // The slots held right now (for tests and metrics).
  static int available();
};

// Runs `open` (which returns an fd or -1 with errno set); when it fails with EMFILE or
// ENFILE, frees reserve slots one at a time and retries.
int open_reserved(const std::function<int()>& open);

// Closes fd, or keeps its slot as a reserve slot when the reserve is short (the slot is never
// free in between, so a socket cannot take it).
void close_reserved(int fd);

// A UniqueFd whose close goes back to the reserve.
class ReservedFd {
 public:
  ReservedFd() = default;
  explicit ReservedFd(int fd) : fd_(fd) {}
  ReservedFd(ReservedFd&& other) noexcept : fd_(other.release()) {}
  ReservedFd& operator=(ReservedFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ReservedFd(const ReservedFd&) = delete;
  ReservedFd& operator=(const ReservedFd&) = delete;
  ~ReservedFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close_reserved(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace zinnia
