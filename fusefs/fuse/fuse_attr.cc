// lookup, getattr, forget.
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
  st->st_blksize = 1 << 20;
  st->st_mtim.tv_sec = a.mtime_ns / 1'000'000'000;
  st->st_mtim.tv_nsec = a.mtime_ns % 1'000'000'000;
  st->st_ctim = st->st_mtim;
  st->st_atim = st->st_mtim;
}

namespace {

int do_lookup(Context& c, fuse_ino_t parent, const char* name, fuse_entry_param* e) {
  Attr a;
  if (auto ec = c.tree->lookup(parent, name, &a)) return -ec.value();
  e->ino = a.ino;
  e->generation = 1;
  fill_stat(c, a, &e->attr);
  e->attr_timeout = S_ISREG(e->attr.st_mode) ? 0.0 : c.attr_timeout;
  e->entry_timeout = c.entry_timeout;
  return 0;
}

int do_getattr(Context& c, fuse_ino_t ino, struct stat* st) {
  Attr a;
  if (auto ec = c.tree->getattr(ino, &a)) return -ec.value();
  fill_stat(c, a, st);
  return 0;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e{};
  Context& c = ctx(req);
  if (int r = do_lookup(c, parent, name, &e); r < 0) return reply_err(req, r);
  // Counted before the reply: an invalidation racing with it is harmless, a missed one not.
  c.looked_up(e.ino);
  if (fuse_reply_entry(req, &e) != 0) c.forget(e.ino, 1);  // the kernel never got it
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  if (int r = do_getattr(ctx(req), ino, &st); r < 0) return reply_err(req, r);
  fuse_reply_attr(req, &st, S_ISREG(st.st_mode) ? 0.0 : ctx(req).attr_timeout);
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
