#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>

namespace zinnia::fusefs {

class Tree;

// True when /dev/fuse exists and can be opened by this process.
bool fuse_available();

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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::fusefs
