#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "util/unique_fd.h"

namespace zinnia::daemon {

// Leaves no dead mount behind, however zinniad ends (issue 19 #15). When a FUSE server ends
// without unmounting -- SIGKILL, a crash, the `_exit` that follows a module that will not
// stop -- the kernel aborts the connection and the folder answers ENOTCONN to everyone
// until someone unmounts it. The keeper is a small process forked at start that waits for
// zinniad to end (the end of a pipe) and then detaches the mount, if it is still the one
// zinniad made. It inherits the instance locks and holds them until it is done, so the next
// zinniad cannot mount there before it has finished.
class UnmountKeeper {
 public:
  // Forks the keeper. Call before any thread that writes files starts, after the instance
  // locks are taken; `keep` are the fds the keeper keeps open (the locks). Without fork
  // (ENOMEM, a process limit) there is no keeper, and a clean exit still unmounts.
  explicit UnmountKeeper(const std::vector<int>& keep);
  UnmountKeeper(const UnmountKeeper&) = delete;
  UnmountKeeper& operator=(const UnmountKeeper&) = delete;

  // After mounting: what to detach if zinniad ends without unmounting. `mountpoint` is the
  // resolved path (as /proc/self/mountinfo shows it), `device` its "major:minor".
  void watch(const std::filesystem::path& mountpoint, const std::string& device);
  // After a clean unmount: nothing to detach.
  void clear();

  pid_t pid() const { return pid_; }

 private:
  void send(const std::string& record);

  UniqueFd pipe_;  // write end; closed by the kernel when zinniad ends
  pid_t pid_ = -1;
};

}  // namespace zinnia::daemon
