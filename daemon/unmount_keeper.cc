#include "daemon/unmount_keeper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "fusefs/fuse/mount.h"

namespace zinnia::daemon {
namespace {

// The keeper's whole life: wait for the end of the pipe, then detach the mount it was told
// of, if that mount is still there. Records are "M" device NUL path NUL, or "C".
[[noreturn]] void keep(int in) {
  std::string buf, device, path;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    for (;;) {
      if (!buf.empty() && buf[0] == 'C') {
        device.clear();
        path.clear();
        buf.erase(0, 1);
        continue;
      }
      if (buf.empty() || buf[0] != 'M') break;
      const auto a = buf.find('\0', 1);
      const auto b = a == std::string::npos ? a : buf.find('\0', a + 1);
      if (b == std::string::npos) break;  // the rest is still on its way
      device = buf.substr(1, a - 1);
      path = buf.substr(a + 1, b - a - 1);
      buf.erase(0, b + 1);
    }
  }
  // zinniad has ended. Its connection is aborted; only the mount is left. mountinfo names
  // the mount without touching it, so a frozen mount of someone else cannot hold us.
  if (!device.empty() && fusefs::mounted_device(path) == device) fusefs::lazy_unmount(path);
  ::_exit(0);
}

}  // namespace

UnmountKeeper::UnmountKeeper(const std::vector<int>& keep_fds) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    // The keeper: not the Station's business. No stdio (the Station reads zinniad's pipes
    // to their end), no fds but the pipe and the locks, and stop signals stay blocked (as
    // zinniad blocked them) so that a service manager's SIGTERM to the group leaves it to
    // finish; SIGKILL still ends it.
    ::prctl(PR_SET_NAME, "zinniad-unmount");
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd)
      if (null >= 0) ::dup2(null, fd);
    std::vector<int> kept = keep_fds;
    kept.push_back(fds[0]);
    std::sort(kept.begin(), kept.end());
    unsigned from = 3;
    for (int fd : kept) {
      if (fd < 3 || static_cast<unsigned>(fd) < from) continue;
      if (static_cast<unsigned>(fd) > from) ::close_range(from, static_cast<unsigned>(fd) - 1, 0);
      from = static_cast<unsigned>(fd) + 1;
    }
    ::close_range(from, UINT_MAX, 0);
    keep(fds[0]);
  }
  ::close(fds[0]);
  pipe_.reset(fds[1]);
  pid_ = pid;
}

void UnmountKeeper::send(const std::string& record) {
  if (!pipe_) return;
  std::size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(pipe_.get(), record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the keeper is gone: nothing to tell
    done += static_cast<std::size_t>(n);
  }
}

void UnmountKeeper::watch(const std::filesystem::path& mountpoint, const std::string& device) {
  if (device.empty()) return;
  std::string record = "M" + device;
  record.push_back('\0');
  record += mountpoint.string();
  record.push_back('\0');
  send(record);
}

void UnmountKeeper::clear() { send("C"); }

}  // namespace zinnia::daemon
