// open, read, release. Logs are direct_io, and a read stops at the size the kernel may have
// cached (kernel_size); with ZINNIA_FUSE_PAGE_CACHE=1 they are read through the page cache
// (keep_cache, no direct_io): the writer invalidates a log's size and last partial page
// before an append counts as visible (mount.cc), so cached pages are never stale. Bytes
// already in a persisted file are spliced from it. Blobs are direct_io snapshots taken at
// open.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/fuse/fuse_ops.h"

namespace zinnia::fusefs::fuseops {
namespace {

constexpr size_t kSpliceMin = size_t{64} * 1024;

// A blob is snapshotted at open: one open file never mixes two versions.
struct BlobHandle final : Handle {
  std::shared_ptr<const std::string> content;
};

int do_open(Context& c, fuse_ino_t ino, fuse_file_info* fi) {
  Attr a;
  if (auto ec = c.tree->getattr(ino, &a)) return -ec.value();
  if (a.kind == NodeKind::kDir) return -EISDIR;
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) return -EROFS;
  const bool cached = a.kind == NodeKind::kLog && c.page_cache;
  fi->direct_io = cached ? 0 : 1;
  fi->keep_cache = cached ? 1 : 0;
  if (a.kind == NodeKind::kBlob) {
    auto h = std::make_unique<BlobHandle>();
    h->content = c.tree->blob(ino);
    fi->fh = c.adopt(std::move(h));
  }
  return 0;
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Context& c = ctx(req);  // `req` is gone once replied to
  if (int r = do_open(c, ino, fi); r < 0) return reply_err(req, r);
  // Counted before the reply: its release may come on another worker at once.
  c.open_files.fetch_add(1, std::memory_order_relaxed);
  if (fuse_reply_open(req, fi) != 0) {
    c.open_files.fetch_sub(1, std::memory_order_relaxed);
    if (fi->fh) c.drop(fi->fh);  // the opener is gone
  }
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (off < 0) return reply_err(req, -EINVAL);
  Context& c = ctx(req);
  if (const std::uint32_t ms = c.slow_ms.load(std::memory_order_relaxed);
      ms != 0 && ino == c.slow_ino.load(std::memory_order_relaxed))
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (fi->fh) {
    const auto& b = Context::handle<BlobHandle>(fi).content;
    const size_t len = b ? b->size() : 0;
    const size_t at = static_cast<size_t>(off);
    if (at >= len) return static_cast<void>(fuse_reply_buf(req, nullptr, 0));
    fuse_reply_buf(req, b->data() + at, std::min(size, len - at));
    return;
  }
  const Tree& tree = *c.tree;
  if (!c.page_cache) {  // the kernel does not bound direct_io reads by its cached st_size
    Attr a;
    if (auto ec = tree.getattr(ino, &a)) return reply_err(req, -ec.value());
    const std::uint64_t end = c.kernel_size(ino, a.size);
    const auto at = static_cast<std::uint64_t>(off);
    if (at >= end) return static_cast<void>(fuse_reply_buf(req, nullptr, 0));
    size = static_cast<size_t>(std::min<std::uint64_t>(size, end - at));
  }
  // Bytes that are in the persisted file go kernel to kernel (splice from its page cache);
  // the rest is copied from the tree.
  DiskRange r;
  if (c.splice && size >= kSpliceMin &&
      tree.disk_range(ino, static_cast<std::uint64_t>(off), size, &r)) {
    fuse_bufvec bv = FUSE_BUFVEC_INIT(r.len);
    bv.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    bv.buf[0].fd = r.fd;
    bv.buf[0].pos = static_cast<off_t>(r.file_off);
    fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
    return;
  }
  thread_local std::vector<char> buf;
  if (buf.size() < size) buf.resize(size);
  size_t got = 0;
  if (auto ec = tree.read(ino, static_cast<std::uint64_t>(off), buf.data(), size, &got))
    return reply_err(req, -ec.value());
  fuse_reply_buf(req, buf.data(), got);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  if (fi->fh) ctx(req).drop(fi->fh);
  ctx(req).open_files.fetch_sub(1, std::memory_order_relaxed);  // before the reply frees req
  fuse_reply_err(req, 0);
}

}  // namespace

void add_read_ops(fuse_lowlevel_ops& ops) {
  ops.open = op_open;
  ops.read = op_read;
  ops.release = op_release;
}

}  // namespace zinnia::fusefs::fuseops
