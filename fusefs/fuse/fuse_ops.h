#pragma once
// The FUSE face's insides: per-mount context and the op families, one file each
// (fuse_attr.cc, fuse_dir.cc, fuse_read.cc, fuse_write.cc). Each op is a thin wrapper
// around a do_* function that returns 0 or -errno.
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "fusefs/tree/tree.h"

namespace zinnia::fusefs::fuseops {

// Per-open state (fi->fh). Owned by the Context: a release the kernel sends after the
// session ended never arrives, and what is left is freed with the mount.
struct Handle {
  virtual ~Handle() = default;
};

struct Context {
  const Tree* tree = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  // Folder and log attributes (from getattr) are cached this long; every change to an inode
  // the kernel holds is invalidated before readers can see it (mount.cc), so the timeout is
  // only a safety net. Blob attributes are not cached (blobs are direct_io snapshots), and
  // neither are the attributes in a lookup reply for a log (see kernel_size()).
  double attr_timeout = 1.0;
  double entry_timeout = 1.0;
  // Persisted bytes are spliced into read replies (kernel to kernel, no copy through our
  // memory); ZINNIA_FUSE_SPLICE=0 copies instead. libfuse splices only a reply that fits its
  // pipe with three pages to spare, and an unprivileged pipe holds at most
  // /proc/sys/fs/pipe-max-size (1 MiB by default), so reads are capped at `max_read`
  // (mount.cc, read_size_for_splice()); bigger replies would silently be copied.
  bool splice = true;
  // The largest read request the kernel sends (st_blksize is the largest power of two
  // within it, so that tools such as cat and grep read whole requests).
  std::uint32_t max_read = 1u << 20;
  // Logs through the page cache (ZINNIA_FUSE_PAGE_CACHE=1): keep_cache, no direct_io. Off
  // by default: concurrent readers of a growing log can, rarely, get zeros from the old last
  // page (docs/monitor-tree.md). Off, logs are direct_io: every read is a round trip, and a
  // read never returns more than kernel_size(), which moves on only after the cached
  // attributes were dropped, so no stat can show less than was read.
  bool page_cache = false;

  std::uint64_t adopt(std::unique_ptr<Handle> h) {
    auto key = reinterpret_cast<std::uintptr_t>(h.get());
    std::lock_guard l(handles_mu);
    handles.emplace(key, std::move(h));
    return key;
  }
  // The handle behind fi->fh (alive until its release).
  template <typename T>
  static T& handle(const fuse_file_info* fi) {
    return static_cast<T&>(
        *reinterpret_cast<Handle*>(fi->fh));  // NOLINT(performance-no-int-to-ptr)
  }
  void drop(std::uint64_t fh) {
    std::unique_ptr<Handle> h;
    std::lock_guard l(handles_mu);
    if (auto it = handles.find(fh); it != handles.end()) {
      h = std::move(it->second);
      handles.erase(it);
    }
  }
  std::mutex handles_mu;
  std::unordered_map<std::uint64_t, std::unique_ptr<Handle>> handles;

  // Lookup counts: the inodes the kernel holds (lookup adds one, forget takes n). Only
  // those get invalidations; the root is always held.
  void looked_up(fuse_ino_t ino) {
    std::lock_guard l(lookups_mu);
    ++lookups[ino];
  }

  // The size the kernel may know of a log. It moves on only after the kernel dropped what it
  // cached of the old size (mount.cc): with the page cache, the old last partial page, so a
  // getattr can never pair a new size with a page that ends in zeros where the new bytes
  // are; with direct_io, the attributes, so reads (bounded by this size) never run past a
  // cached st_size. Logs the mount never heard of report the tree's size and remember it.
  // Under lookups_mu with the counts, so a lookup and an append that race see each other
  // (one sends the invalidation or the other sees the size).
  std::uint64_t kernel_size(fuse_ino_t ino, std::uint64_t tree_size) {
    std::lock_guard l(lookups_mu);
    return log_sizes.try_emplace(ino, tree_size).first->second;
  }
  // For the writer: the size the kernel may know now, and whether the kernel holds the inode.
  std::uint64_t log_size(fuse_ino_t ino, bool* is_held) {
    std::lock_guard l(lookups_mu);
    *is_held = lookups.count(ino) != 0;
    auto it = log_sizes.find(ino);
    return it == log_sizes.end() ? 0 : it->second;
  }
  // Moves the size on (never back); returns whether the kernel holds the inode.
  bool advance_log_size(fuse_ino_t ino, std::uint64_t size) {
    std::lock_guard l(lookups_mu);
    auto& s = log_sizes[ino];
    if (size > s) s = size;
    return lookups.count(ino) != 0;
  }
  void forget(fuse_ino_t ino, std::uint64_t n) {
    std::lock_guard l(lookups_mu);
    auto it = lookups.find(ino);
    if (it == lookups.end()) return;
    if (it->second <= n) {
      lookups.erase(it);
    } else {
      it->second -= n;
    }
  }
  bool held(fuse_ino_t ino) const {
    if (ino == FUSE_ROOT_ID) return true;
    std::lock_guard l(lookups_mu);
    return lookups.count(ino) != 0;
  }
  mutable std::mutex lookups_mu;
  std::unordered_map<fuse_ino_t, std::uint64_t> lookups;
  std::unordered_map<fuse_ino_t, std::uint64_t> log_sizes;

  // For monitor/metrics.prom: requests answered, and files open now (open to release).
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::int64_t> open_files{0};
  // Tests only (Mount::slow_reads_for_test): reads of `slow_ino` take `slow_ms` longer.
  std::atomic<std::uint64_t> slow_ino{0};
  std::atomic<std::uint32_t> slow_ms{0};
};

inline Context& ctx(fuse_req_t req) { return *static_cast<Context*>(fuse_req_userdata(req)); }

// The kernel's view of a node: dirs 0500, files 0400, owned by the daemon's user.
void fill_stat(const Context& c, const Attr& a, struct stat* st);

// Replies -r as an error when r < 0.
inline void reply_err(fuse_req_t req, int r) { fuse_reply_err(req, -r); }

void add_attr_ops(fuse_lowlevel_ops& ops);   // lookup, getattr, forget, forget_multi
void add_dir_ops(fuse_lowlevel_ops& ops);    // opendir, readdir, releasedir
void add_read_ops(fuse_lowlevel_ops& ops);   // open, read, release
void add_write_ops(fuse_lowlevel_ops& ops);  // everything that would change the tree: EROFS

}  // namespace zinnia::fusefs::fuseops
