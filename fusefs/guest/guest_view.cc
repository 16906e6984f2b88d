#include "fusefs/guest/guest_view.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <system_error>

#include "fusefs/guest/guest_path.h"

namespace zinnia::fusefs::guest {

struct GuestView::Resolved {
  enum Kind { kTree, kHost, kAncestor } kind = kTree;
  const GrantEntry* entry = nullptr;
  std::string rel;   // kTree: the tree path; kHost: relative to the folder
  std::string path;  // the normalised guest path (kAncestor)
};

namespace {

GuestFs::Error errc_from_tree(std::error_code ec) {
  if (!ec) return GuestFs::Error::kOk;
  if (ec.value() == EINVAL) return GuestFs::Error::kPermissionDenied;
  return guest_fs_error_from_errno(ec.value());
}

std::string join(std::string_view base, std::string_view rel) {
  if (base.empty()) return std::string(rel);
  if (rel.empty()) return std::string(base);
  return std::string(base) + "/" + std::string(rel);
}

}  // namespace

GuestView::GuestView(std::vector<Grant> grants, Tree* tree, std::size_t read_limit)
    : tree_(tree), read_limit_(read_limit) {
  for (auto& g : grants) {
    const auto norm = normalize_guest_path(g.destination);
    if (g.destination.empty() || g.destination[0] != '/' || norm.err != Error::kOk ||
        norm.path != g.destination) {
      throw std::invalid_argument("destination '" + g.destination +
                                  "' must be an absolute, normalised guest path");
    }
    for (const auto& other : grants_) {
      if (path_within(g.destination, other.grant.destination) ||
          path_within(other.grant.destination, g.destination)) {
        throw std::invalid_argument("destination '" + g.destination + "' overlaps '" +
                                    other.grant.destination + "'");
      }
    }
    GrantEntry e;
    if (!g.tree_path) e.host = std::make_unique<HostDir>(g.host_dir);
    e.grant = std::move(g);
    grants_.push_back(std::move(e));
  }
}

GuestFs::Error GuestView::resolve(std::string_view guest_path, Resolved& out) const {
  const auto norm = normalize_guest_path(guest_path);
  if (norm.err != Error::kOk) return norm.err;
  const std::string& p = norm.path;
  for (const auto& e : grants_) {
    const std::string& dest = e.grant.destination;
    if (path_within(p, dest)) {
      // A grant at "/" has no separator of its own to skip.
      const std::size_t skip = dest == "/" ? 1 : dest.size() + 1;
      const std::string_view rest =
          p.size() <= skip ? std::string_view() : std::string_view(p).substr(skip);
      out.entry = &e;
      if (e.grant.tree_path) {
        if (!tree_) return Error::kNotFound;
        out.kind = Resolved::kTree;
        out.rel = join(*e.grant.tree_path, rest);
      } else {
        out.kind = Resolved::kHost;
        out.rel = std::string(rest);
      }
      return Error::kOk;
    }
  }
  for (const auto& e : grants_) {
    if (path_within(e.grant.destination, p)) {
      out.kind = Resolved::kAncestor;
      out.path = p;
      return Error::kOk;
    }
  }
  return Error::kPermissionDenied;
}

GuestFs::Error GuestView::stat(const std::string& guest_path, Stat& out) {
  Resolved r;
  if (GuestFs::Error err = resolve(guest_path, r); err != Error::kOk) return err;
  switch (r.kind) {
    case Resolved::kAncestor:
      out = Stat{};
      out.is_directory = true;
      return Error::kOk;
    case Resolved::kHost:
      return r.entry->host->stat(r.rel, out);
    case Resolved::kTree:
      return errc_from_tree(tree_->stat(r.rel, &out));
  }
  return Error::kIo;
}

GuestFs::Error GuestView::read(const std::string& guest_path, std::uint64_t offset, std::size_t max,
                               std::string& out) {
  Resolved r;
  if (GuestFs::Error err = resolve(guest_path, r); err != Error::kOk) return err;
  switch (r.kind) {
    case Resolved::kAncestor:
      return Error::kIsADirectory;
    case Resolved::kHost:
      return r.entry->host->read(r.rel, offset, max, out);
    case Resolved::kTree:
      return errc_from_tree(tree_->read(r.rel, offset, max, &out));
  }
  return Error::kIo;
}

GuestFs::Error GuestView::read_file(const std::string& guest_path, std::string& out) {
  Resolved r;
  if (GuestFs::Error err = resolve(guest_path, r); err != Error::kOk) return err;
  switch (r.kind) {
    case Resolved::kAncestor:
      return Error::kIsADirectory;
    case Resolved::kHost:
      return r.entry->host->read_all(r.rel, read_limit_, out);
    case Resolved::kTree: {
      Stat n;
      if (Error err = errc_from_tree(tree_->stat(r.rel, &n)); err != Error::kOk) return err;
      if (n.is_directory) return Error::kIsADirectory;
      // A log's size counts every byte ever written; only the newest are still held (in
      // memory, the persisted file and its one older generation), the rest read as filler.
      // readFile gives the bytes held, the newest read_limit_ of them at most.
      std::uint64_t held = 0;
      if (Error err = errc_from_tree(tree_->held_from(r.rel, &held)); err != Error::kOk) return err;
      const std::uint64_t newest = n.size - std::min<std::uint64_t>(n.size, read_limit_);
      const std::uint64_t from = std::min(n.size, std::max(held, newest));
      return errc_from_tree(tree_->read(r.rel, from, n.size - from, &out));
    }
  }
  return Error::kIo;
}

GuestFs::Error GuestView::list(const std::string& guest_path, std::vector<Entry>& out) {
  Resolved r;
  if (GuestFs::Error err = resolve(guest_path, r); err != Error::kOk) return err;
  out.clear();
  switch (r.kind) {
    case Resolved::kAncestor: {
      // The next name of every destination below this folder.
      std::set<std::string> names;
      const std::size_t skip = r.path == "/" ? 1 : r.path.size() + 1;
      for (const auto& e : grants_) {
        const std::string& dest = e.grant.destination;
        if (dest == r.path || !path_within(dest, r.path)) continue;
        names.insert(dest.substr(skip, dest.find('/', skip) - skip));
      }
      for (const auto& name : names) out.push_back(Entry{name, false, true});
      return Error::kOk;
    }
    case Resolved::kHost:
      return r.entry->host->list(r.rel, out);
    case Resolved::kTree: {
      return errc_from_tree(tree_->list(r.rel, &out));
    }
  }
  return Error::kIo;
}

GuestFs::Error GuestView::watch(const std::string& guest_path, std::function<void()> changed,
                                std::unique_ptr<Subscription>& out) {
  Resolved r;
  if (GuestFs::Error err = resolve(guest_path, r); err != Error::kOk) return err;
  if (r.kind == Resolved::kAncestor) return Error::kIsADirectory;
  if (r.kind == Resolved::kHost) return Error::kNotSupported;
  // Only a log grows: a folder never would, and a blob (status.json, the manifests) is
  // replaced whole, so following either would wait forever (issue 19 #21). A path that
  // does not exist yet is watched until it appears.
  if (Attr a; tree_ && !tree_->resolve(r.rel, &a)) {
    if (a.kind == NodeKind::kDir) return Error::kIsADirectory;
    if (a.kind == NodeKind::kBlob) return Error::kNotSupported;
  }
  try {
    out = tree_->watch(r.rel, std::move(changed));
  } catch (const std::system_error& e) {
    return errc_from_tree(e.code());
  }
  return Error::kOk;
}

}  // namespace zinnia::fusefs::guest
