// opendir, readdir, releasedir. A listing is snapshotted at opendir, so offsets stay stable
// while components are added.
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "fusefs/fuse/fuse_ops.h"

namespace zinnia::fusefs::fuseops {
namespace {

struct DirHandle final : Handle {
  struct Entry {
    std::string name;
    fuse_ino_t ino;
    bool dir;
  };
  std::vector<Entry> entries;
};

int do_opendir(Context& c, fuse_ino_t ino, fuse_file_info* fi) {
  Attr a;
  if (auto ec = c.tree->getattr(ino, &a)) return -ec.value();
  std::vector<Child> children;
  if (auto ec = c.tree->readdir(ino, &children)) return -ec.value();
  auto h = std::make_unique<DirHandle>();
  h->entries.reserve(children.size() + 2);
  h->entries.push_back({".", a.ino, true});
  h->entries.push_back({"..", a.parent, true});
  for (auto& child : children)
    h->entries.push_back({std::move(child.name), child.ino, child.kind == NodeKind::kDir});
  fi->fh = c.adopt(std::move(h));
  return 0;
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (int r = do_opendir(ctx(req), ino, fi); r < 0) return reply_err(req, r);
  if (fuse_reply_open(req, fi) != 0) ctx(req).drop(fi->fh);  // the opener is gone
}

void op_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  const auto* h = &Context::handle<DirHandle>(fi);
  std::vector<char> buf(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(off); i < h->entries.size(); ++i) {
    struct stat st {};
    st.st_ino = h->entries[i].ino;
    st.st_mode = h->entries[i].dir ? S_IFDIR : S_IFREG;
    size_t need = fuse_add_direntry(req, buf.data() + used, size - used, h->entries[i].name.c_str(),
                                    &st, static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  ctx(req).drop(fi->fh);
  fuse_reply_err(req, 0);
}

}  // namespace

void add_dir_ops(fuse_lowlevel_ops& ops) {
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.releasedir = op_releasedir;
}

}  // namespace zinnia::fusefs::fuseops
