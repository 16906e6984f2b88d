#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace zinnia::fusefs {

class Tree;

// True when /dev/fuse exists and can be opened by this process.
bool fuse_available();

// Detaches whatever is mounted at `path` (umount2 MNT_DETACH as root, else fusermount3 -u
// -z); 0 or an errno value.
int lazy_unmount(const std::filesystem::path& path);
// "major:minor" of the topmost mount exactly at `path` (a resolved path, as in
// /proc/self/mountinfo); "" when nothing is mounted there. Never touches the mount itself,
// so it cannot hang on a frozen one.
std::string mounted_device(const std::filesystem::path& path);

// The tree mounted read-only with FUSE at a folder. RAII: the destructor unmounts cleanly
// and joins the FUSE threads.
class Mount {
 public:
  // Recovers a stale mount at `mountpoint` (ENOTCONN, left by a killed process), creates
  // the folder if missing, mounts and starts serving. Throws std::system_error with the
  // mountpoint in the message on failure.
  Mount(Tree& tree, std::filesystem::path mountpoint);
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  const std::filesystem::path& mountpoint() const;
  // Invalidations sent to the kernel so far: only for inodes it holds (looked up, not
  // forgotten), never for the rest.
  std::uint64_t invalidations() const;
  // Requests answered so far, and files open on the mount now (monitor/metrics.prom).
  std::uint64_t requests() const;
  std::uint64_t live_readers() const;
  // How reads were served so far (tests, benchmarks).
  struct ReadStats {
    std::uint64_t polls_caught = 0;  // polls after a reply that found the next request
    std::uint64_t polls_missed = 0;  // polls that found none (none then for 10 ms)
    std::uint64_t set_asides = 0;    // runs of caught polls that set the sleepers aside
    bool aside_now = false;          // the sleepers are set aside at this moment
  };
  ReadStats read_stats() const;
  // Tests only: every read of inode `ino` takes `ms` longer (0: as usual), to stand for a
  // request that blocks, such as a read from a cold disk.
  void slow_reads_for_test(std::uint64_t ino, std::uint32_t ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::fusefs
