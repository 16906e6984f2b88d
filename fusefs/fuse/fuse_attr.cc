// lookup, getattr, forget.
#include <bit>
#include <cerrno>
#include <cstring>

#include "fusefs/fuse/fuse_ops.h"

namespace zinnia::fusefs::fuseops {

void fill_stat(const Context& c, const Attr& a, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = a.ino;
  st->st_uid = c.uid;
  st->st_gid = c.gid;
  if (a.kind == NodeKind::kDir) {
    st->st_mode = S_IFDIR | 0500;
    st->st_nlink = 2;
  } else {
    st->st_mode = S_IFREG | 0400;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(a.size);
    st->st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  }
  // Large reads: tools size their buffers by st_blksize (cat, grep use 128 KiB otherwise).
  // The kernel keeps it as a power of two (i_blkbits), so this says what stat will show:
  // the largest one within a request (512 KiB with splice, 1 MiB without).
  st->st_blksize = static_cast<blksize_t>(std::bit_floor(c.max_read));
  st->st_mtim.tv_sec = a.mtime_ns / 1'000'000'000;
  st->st_mtim.tv_nsec = a.mtime_ns % 1'000'000'000;
  st->st_ctim = st->st_mtim;
  st->st_atim = st->st_mtim;
}

namespace {

// How long the kernel may keep attributes: folders and logs (every change invalidates them
// first), blobs never (a direct_io snapshot; size and content must not disagree).
double attr_timeout(const Context& c, NodeKind kind) {
  return kind == NodeKind::kBlob ? 0.0 : c.attr_timeout;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e{};
  Context& c = ctx(req);
  Attr a;
  if (auto ec = c.tree->lookup(parent, name, &a)) return reply_err(req, -ec.value());
  // Counted before the reply: an invalidation racing with it is harmless, a missed one not.
  c.looked_up(a.ino);
  e.ino = a.ino;
  e.generation = 1;
  e.entry_timeout = c.entry_timeout;
  e.attr_timeout = attr_timeout(c, a.kind);
  if (a.kind == NodeKind::kLog) {
    const std::uint64_t known = c.kernel_size(a.ino, a.size);
    if (c.page_cache) a.size = known;
    // A new inode is created from this reply even when an append's invalidation reached the
    // kernel first (it had no inode to invalidate then), so its size is not kept: the next
    // stat asks getattr, whose stale replies the kernel drops.
    e.attr_timeout = 0.0;
  }
  fill_stat(c, a, &e.attr);
  if (fuse_reply_entry(req, &e) != 0) c.forget(e.ino, 1);  // the kernel never got it
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Context& c = ctx(req);
  Attr a;
  if (auto ec = c.tree->getattr(ino, &a)) return reply_err(req, -ec.value());
  // Through the page cache the kernel must not see the new size before the old last page is
  // dropped (kernel_size). direct_io reads stop at kernel_size, and this reply may be cached:
  // it shows the tree's size, never less than a read can return (a smaller st_size than was
  // read makes tail -F say "file truncated" and print the file again).
  if (a.kind == NodeKind::kLog && c.page_cache) a.size = c.kernel_size(ino, a.size);
  struct stat st;
  fill_stat(c, a, &st);
  fuse_reply_attr(req, &st, attr_timeout(c, a.kind));
}

// Nodes live as long as the tree; the counts only decide who hears of changes.
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
  ctx(req).forget(ino, n);
  fuse_reply_none(req);
}
void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) ctx(req).forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

}  // namespace

void add_attr_ops(fuse_lowlevel_ops& ops) {
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
}

}  // namespace zinnia::fusefs::fuseops
