#include "util/fd_reserve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.h"

namespace zinnia {
namespace {

struct State {
  std::mutex mu;
  bool live = false;
  int want = 0;
  int null_fd = -1;  // never lent: the source dup2 copies into returned slots
  std::vector<int> slots;
};

State& state() {
  static State s;
  return s;
}

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

// Tops up from free slots; under exhaustion this fails at once and is tried again later.
void refill_locked(State& s) {
  while (static_cast<int>(s.slots.size()) < s.want) {
    const int fd = ::fcntl(s.null_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return;
    s.slots.push_back(fd);
  }
}

}  // namespace

FdReserve::FdReserve(int slots) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.live) throw std::logic_error("FdReserve: one reserve per process");
  s.null_fd = open_null();
  if (s.null_fd < 0) throw std::runtime_error(errno_message("open", "/dev/null", errno));
  s.want = slots;
  refill_locked(s);
  s.live = true;
}

FdReserve::~FdReserve() {
  State& s = state();
  std::lock_guard lock(s.mu);
  for (int fd : s.slots) ::close(fd);
  s.slots.clear();
  ::close(s.null_fd);
  s.null_fd = -1;
  s.live = false;
}

int FdReserve::available() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return static_cast<int>(s.slots.size());
}

int open_reserved(const std::function<int()>& open) {
  State& s = state();
  {
    std::lock_guard lock(s.mu);
    if (s.live) refill_locked(s);
  }
  int fd = open();
  while (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
    {
      std::lock_guard lock(s.mu);
      if (!s.live || s.slots.empty()) {
        errno = EMFILE;
        return -1;
      }
      ::close(s.slots.back());
      s.slots.pop_back();
    }
    // Another thread may take the slot first; then the next slot is lent.
    fd = open();
  }
  return fd;
}

void close_reserved(int fd) {
  if (fd < 0) return;
  State& s = state();
  {
    std::lock_guard lock(s.mu);
    if (s.live && static_cast<int>(s.slots.size()) < s.want && fd != s.null_fd &&
        ::dup3(s.null_fd, fd, O_CLOEXEC) == fd) {
      // dup3 closed the file and refilled the slot in one step.
      s.slots.push_back(fd);
      return;
    }
  }
  ::close(fd);
}

}  // namespace zinnia
