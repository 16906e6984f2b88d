#include "fusefs/tree/tree.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "fusefs/tree/log_file.h"
#include "util/error.h"

namespace zinnia::fusefs {

// --- change notification ------------------------------------------------------------------

struct Subscription::State {
  std::function<void(Ino)> callback;
  std::optional<std::string> path;  // set: only changes of the node at this path

  std::mutex mu;
  std::condition_variable idle;
  bool active = true;
  std::vector<std::thread::id> running;  // threads inside callback
};

// Every subscriber of one tree. Shared with the logs (they may outlive the Tree) and weakly
// with each Subscription.
struct Subscription::Hub {
  std::mutex mu;
  std::vector<std::shared_ptr<State>> subs;

  void changed(Ino ino, std::string_view path) {
    std::vector<std::shared_ptr<State>> hit;
    {
      std::lock_guard l(mu);
      for (const auto& s : subs)
        if (!s->path || *s->path == path) hit.push_back(s);
    }
    const auto self = std::this_thread::get_id();
    for (const auto& s : hit) {
      {
        std::lock_guard l(s->mu);
        if (!s->active) continue;
        s->running.push_back(self);
      }
      try {
        s->callback(ino);
      } catch (...) {  // a subscriber's failure must not break the writer
      }
      std::lock_guard l(s->mu);
      s->running.erase(std::find(s->running.begin(), s->running.end(), self));
      if (s->running.empty()) s->idle.notify_all();
    }
  }
};

Subscription::Subscription(std::weak_ptr<Hub> hub, std::shared_ptr<State> state)
    : hub_(std::move(hub)), state_(std::move(state)) {}

Subscription::~Subscription() {
  if (auto hub = hub_.lock()) {
    std::lock_guard l(hub->mu);
    std::erase(hub->subs, state_);
  }
  // Wait for calls on other threads; one on this thread (we are inside it) finishes after.
  const auto self = std::this_thread::get_id();
  std::unique_lock l(state_->mu);
  state_->active = false;
  state_->idle.wait(l, [&] {
    return std::all_of(state_->running.begin(), state_->running.end(),
                       [&](std::thread::id t) { return t == self; });
  });
}

namespace {

using Hub = Subscription::Hub;

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

std::error_code err(int e) { return {e, std::generic_category()}; }

}  // namespace

namespace detail {

// Nodes are never freed while the tree lives, so a Node* (and its ino) stays valid; a removed
// component's folder is only unlinked from its parent.
struct Node {
  NodeKind kind;
  Ino ino;  // index in Impl::nodes + 1; the root is 1
  std::string name;
  std::string path;
  Node* parent;

  // kDir: guarded by Impl::mu
  std::map<std::string, Node*, std::less<>> children;
  std::atomic<std::int64_t> mtime_ns{0};  // kDir, kBlob

  // kLog: null once its component was removed (the node stays, its ino stays valid)
  std::shared_ptr<detail::LogImpl> log;

  // kBlob
  mutable std::mutex blob_mu;  // guards blob, and log once the node is published
  std::shared_ptr<const std::string> blob;

  std::shared_ptr<const std::string> blob_snapshot() const {
    std::lock_guard l(blob_mu);
    return blob;
  }
  std::shared_ptr<detail::LogImpl> log_snapshot() const {
    std::lock_guard l(blob_mu);
    return log;
  }
};

}  // namespace detail

using detail::Node;

bool valid_tree_path(std::string_view path) {
  if (path.empty()) return true;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view name =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!valid_name(name)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// --- Impl -------------------------------------------------------------------------------

struct Tree::Impl {
  explicit Impl(TreeOptions o);

  TreeOptions options;
  std::shared_ptr<Hub> hub = std::make_shared<Hub>();

  mutable std::shared_mutex mu;  // the shape: nodes, children
  std::vector<std::unique_ptr<Node>> nodes;
  std::map<std::string, std::shared_ptr<detail::LogImpl>, std::less<>> logs;  // "<c>/stdout"

  Node* node(Ino ino) const {  // null if none
    std::shared_lock l(mu);
    return ino == 0 || ino > nodes.size() ? nullptr : nodes[ino - 1].get();
  }
  static Node* child(const Node* dir, std::string_view name) {  // mu held
    auto it = dir->children.find(name);
    return it == dir->children.end() ? nullptr : it->second;
  }
  std::error_code find(std::string_view path, Node** out) const;
  static Attr attr(const Node* n);

  // Creates folders along `path` (mu held exclusively); returns the last one.
  Node* ensure_dirs(std::string_view path, std::vector<Node*>* created);
  Node* add_node(Node* dir, std::string_view name, NodeKind kind, std::vector<Node*>* created);
  void announce(const std::vector<Node*>& created) const {
    for (Node* n : created) {
      hub->changed(n->ino, n->path);
      if (n->parent) hub->changed(n->parent->ino, n->parent->path);
    }
  }
};

Tree::Impl::Impl(TreeOptions o) : options(std::move(o)) {
  auto root = std::make_unique<Node>();
  root->kind = NodeKind::kDir;
  root->ino = kRootIno;
  root->parent = nullptr;
  root->mtime_ns = now_ns();
  nodes.push_back(std::move(root));
  std::vector<Node*> created;
  ensure_dirs("monitor/logs", &created);
  if (valid_name(options.app)) ensure_dirs("config/" + options.app, &created);
}

Node* Tree::Impl::add_node(Node* dir, std::string_view name, NodeKind kind,
                           std::vector<Node*>* created) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->ino = nodes.size() + 1;
  n->name = std::string(name);
  n->path = dir->path.empty() ? n->name : dir->path + "/" + n->name;
  n->parent = dir;
  n->mtime_ns = now_ns();
  Node* raw = n.get();
  nodes.push_back(std::move(n));
  dir->children.emplace(raw->name, raw);
  dir->mtime_ns = raw->mtime_ns.load();
  if (created) created->push_back(raw);
  return raw;
}

Node* Tree::Impl::ensure_dirs(std::string_view path, std::vector<Node*>* created) {
  Node* dir = nodes.front().get();
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view name = path.substr(start, slash - start);
    Node* next = child(dir, name);
    if (!next) next = add_node(dir, name, NodeKind::kDir, created);
    if (next->kind != NodeKind::kDir) throw_errno("create folder", next->path, ENOTDIR);
    dir = next;
    start = slash + 1;
  }
  return dir;
}

std::error_code Tree::Impl::find(std::string_view path, Node** out) const {
  if (!valid_tree_path(path)) return err(EINVAL);
  std::shared_lock l(mu);
  Node* n = nodes.front().get();
  std::size_t start = 0;
  while (start < path.size()) {
    if (n->kind != NodeKind::kDir) return err(ENOTDIR);
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    n = child(n, path.substr(start, slash - start));
    if (!n) return err(ENOENT);
    start = slash + 1;
  }
  *out = n;
  return {};
}

Attr Tree::Impl::attr(const Node* n) {
  Attr a{n->ino, n->parent ? n->parent->ino : n->ino, n->kind, 0, n->mtime_ns.load()};
  switch (n->kind) {
    case NodeKind::kLog:
      if (auto log = n->log_snapshot()) {
        a.size = log->size();
        a.mtime_ns = log->mtime_ns();
      }
      break;
    case NodeKind::kBlob: {
      auto b = n->blob_snapshot();
      a.size = b ? b->size() : 0;
      break;
    }
    case NodeKind::kDir:
      break;
  }
  return a;
}

// --- Tree: writers ------------------------------------------------------------------------

Tree::Tree(TreeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Tree::~Tree() = default;

const TreeOptions& Tree::options() const { return impl_->options; }

void Tree::add_component(const std::string& component) {
  if (!valid_name(component)) throw_errno("add component", component, EINVAL);
  {
    std::shared_lock l(impl_->mu);
    if (impl_->logs.count(component + "/stdout")) return;
  }
  // Open the persisted files outside the tree lock (on_error may run here).
  struct Publish {
    std::shared_ptr<Hub> hub;
    Ino ino = 0;
    std::string path;
  };
  const std::filesystem::path folder =
      impl_->options.spin_root / impl_->options.app / "logs" / component;
  std::shared_ptr<detail::LogImpl> logs[2];
  std::shared_ptr<Publish> pubs[2];
  const char* names[2] = {"stdout", "stderr"};
  for (int i = 0; i < 2; ++i) {
    pubs[i] = std::make_shared<Publish>();
    pubs[i]->hub = impl_->hub;
    logs[i] = std::make_shared<detail::LogImpl>(detail::LogImpl::Options{
        folder / (std::string(names[i]) + ".txt"), impl_->options.window_bytes,
        impl_->options.rotate_bytes, impl_->options.on_error,
        [p = pubs[i]] { p->hub->changed(p->ino, p->path); }, impl_->options.spin_root});
  }
  std::vector<Node*> created;
  {
    std::unique_lock l(impl_->mu);
    if (impl_->logs.count(component + "/stdout")) return;  // lost a race: theirs stays
    Node* dir = impl_->ensure_dirs("monitor/logs/" + component, &created);
    for (int i = 0; i < 2; ++i) {
      Node* n = impl_->add_node(dir, std::string(names[i]) + ".txt", NodeKind::kLog, &created);
      n->log = logs[i];
      pubs[i]->ino = n->ino;
      pubs[i]->path = n->path;
      impl_->logs.emplace(component + "/" + names[i], logs[i]);
    }
  }
  impl_->announce(created);
}

void Tree::remove_component(const std::string& component) {
  std::shared_ptr<detail::LogImpl> gone[2];
  Node* logs_dir = nullptr;
  {
    std::unique_lock l(impl_->mu);
    logs_dir = Impl::child(Impl::child(impl_->nodes.front().get(), "monitor"), "logs");
    Node* dir = logs_dir ? Impl::child(logs_dir, component) : nullptr;
    if (!dir) return;
    int i = 0;
    for (auto& [name, n] : dir->children) {
      if (n->kind != NodeKind::kLog || i == 2) continue;
      std::lock_guard bl(n->blob_mu);
      gone[i++] = std::move(n->log);
    }
    logs_dir->children.erase(component);
    logs_dir->mtime_ns = now_ns();
    impl_->logs.erase(component + "/stdout");
    impl_->logs.erase(component + "/stderr");
  }
  impl_->hub->changed(logs_dir->ino, logs_dir->path);
  // `gone` ends here: the logs flush and close their files (a reader in the middle of a read
  // keeps its log until that read is answered).
}

std::shared_ptr<LogFile> Tree::log(const std::string& component, Stream stream) {
  std::shared_lock l(impl_->mu);
  auto it = impl_->logs.find(component + (stream == Stream::kStdout ? "/stdout" : "/stderr"));
  return it == impl_->logs.end() ? nullptr : it->second;
}

void Tree::set_blob(std::string_view path, std::string content) {
  if (path.empty() || !valid_tree_path(path)) throw_errno("set blob", path, EINVAL);
  auto data = std::make_shared<const std::string>(std::move(content));
  std::vector<Node*> created;
  Node* n;
  {
    std::unique_lock l(impl_->mu);
    std::size_t slash = path.rfind('/');
    Node* dir = slash == std::string_view::npos
                    ? impl_->nodes.front().get()
                    : impl_->ensure_dirs(path.substr(0, slash), &created);
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    n = Impl::child(dir, name);
    if (n && n->kind == NodeKind::kDir) throw_errno("set blob", path, EISDIR);
    if (n && n->kind == NodeKind::kLog) throw_errno("set blob", path, EEXIST);
    if (!n) n = impl_->add_node(dir, name, NodeKind::kBlob, &created);
    std::lock_guard bl(n->blob_mu);
    n->blob = std::move(data);
    n->mtime_ns = now_ns();
  }
  impl_->announce(created);
  if (std::find(created.begin(), created.end(), n) == created.end())
    impl_->hub->changed(n->ino, n->path);
}

// --- Tree: inode API ----------------------------------------------------------------------

std::error_code Tree::lookup(Ino dir, std::string_view name, Attr* out) const {
  const Node* d = impl_->node(dir);
  if (!d) return err(ENOENT);
  if (d->kind != NodeKind::kDir) return err(ENOTDIR);
  const Node* n;
  {
    std::shared_lock l(impl_->mu);
    n = Impl::child(d, name);
  }
  if (!n) return err(ENOENT);
  *out = Impl::attr(n);
  return {};
}

std::error_code Tree::getattr(Ino ino, Attr* out) const {
  const Node* n = impl_->node(ino);
  if (!n) return err(ENOENT);
  *out = Impl::attr(n);
  return {};
}

std::error_code Tree::readdir(Ino dir, std::vector<Child>* out) const {
  const Node* d = impl_->node(dir);
  if (!d) return err(ENOENT);
  if (d->kind != NodeKind::kDir) return err(ENOTDIR);
  out->clear();
  std::shared_lock l(impl_->mu);
  out->reserve(d->children.size());
  for (const auto& [name, n] : d->children) out->push_back({name, n->ino, n->kind});
  return {};
}

std::error_code Tree::read(Ino ino, std::uint64_t offset, char* buf, std::size_t n,
                           std::size_t* got) const {
  *got = 0;
  const Node* node = impl_->node(ino);
  if (!node) return err(ENOENT);
  switch (node->kind) {
    case NodeKind::kDir:
      return err(EISDIR);
    case NodeKind::kBlob: {
      auto b = node->blob_snapshot();
      if (b && offset < b->size()) {
        *got = std::min<std::size_t>(n, b->size() - static_cast<std::size_t>(offset));
        std::copy_n(b->data() + offset, *got, buf);
      }
      return {};
    }
    case NodeKind::kLog: {
      auto log = node->log_snapshot();
      if (!log) return err(ENOENT);  // its component was removed
      *got = log->read(offset, buf, n);
      return {};
    }
  }
  return {};
}

std::shared_ptr<const std::string> Tree::blob(Ino ino) const {
  const Node* n = impl_->node(ino);
  return n && n->kind == NodeKind::kBlob ? n->blob_snapshot() : nullptr;
}

bool Tree::disk_range(Ino ino, std::uint64_t offset, std::size_t n, DiskRange* out) const {
  const Node* node = impl_->node(ino);
  if (!node || node->kind != NodeKind::kLog) return false;
  detail::LogImpl::DiskRange r;
  auto log = node->log_snapshot();
  if (!log || !log->disk_range(offset, n, &r)) return false;
  out->fd = r.file->fd;
  out->keep = std::move(r.file);
  out->file_off = r.file_off;
  out->len = r.len;
  return true;
}

std::unique_ptr<Subscription> Tree::subscribe(std::function<void(Ino)> changed) {
  auto state = std::make_shared<Subscription::State>();
  state->callback = std::move(changed);
  std::lock_guard l(impl_->hub->mu);
  impl_->hub->subs.push_back(state);
  return std::make_unique<Subscription>(impl_->hub, std::move(state));
}

// --- Tree: path API -----------------------------------------------------------------------

std::error_code Tree::resolve(std::string_view path, Attr* out) const {
  Node* n = nullptr;
  if (auto ec = impl_->find(path, &n)) return ec;
  *out = Impl::attr(n);
  return {};
}

std::error_code Tree::stat(std::string_view path, GuestFs::Stat* out) const {
  Attr a;
  if (auto ec = resolve(path, &a)) return ec;
  out->size = a.size;
  out->mtime_ms = a.mtime_ns / 1'000'000;
  out->is_directory = a.kind == NodeKind::kDir;
  out->is_file = !out->is_directory;
  return {};
}

std::error_code Tree::read(std::string_view path, std::uint64_t offset, std::size_t size,
                           std::string* out) const {
  out->clear();
  Attr a;
  if (auto ec = resolve(path, &a)) return ec;
  if (a.kind == NodeKind::kDir) return err(EISDIR);
  if (a.kind == NodeKind::kBlob) {  // one version: size and bytes from one snapshot
    auto b = blob(a.ino);
    if (b && offset < b->size())
      out->assign(*b, static_cast<std::size_t>(offset),
                  std::min<std::size_t>(size, b->size() - static_cast<std::size_t>(offset)));
    return {};
  }
  if (offset >= a.size) return {};
  out->resize(static_cast<std::size_t>(std::min<std::uint64_t>(size, a.size - offset)));
  std::size_t got = 0;
  auto ec = read(a.ino, offset, out->data(), out->size(), &got);
  out->resize(got);
  return ec;
}

std::error_code Tree::held_from(std::string_view path, std::uint64_t* out) const {
  *out = 0;
  Attr a;
  if (auto ec = resolve(path, &a)) return ec;
  if (a.kind == NodeKind::kDir) return err(EISDIR);
  if (a.kind != NodeKind::kLog) return {};
  const Node* node = impl_->node(a.ino);
  if (auto log = node ? node->log_snapshot() : nullptr) *out = log->held_from();
  return {};
}

std::error_code Tree::list(std::string_view path, std::vector<GuestFs::Entry>* out) const {
  Attr a;
  if (auto ec = resolve(path, &a)) return ec;
  std::vector<Child> children;
  if (auto ec = readdir(a.ino, &children)) return ec;
  out->clear();
  out->reserve(children.size());
  for (auto& c : children)
    out->push_back({std::move(c.name), c.kind != NodeKind::kDir, c.kind == NodeKind::kDir});
  return {};
}

std::unique_ptr<Subscription> Tree::watch(std::string_view path, std::function<void()> changed) {
  if (!valid_tree_path(path)) throw_errno("watch", path, EINVAL);
  auto state = std::make_shared<Subscription::State>();
  state->callback = [changed = std::move(changed)](Ino) { changed(); };
  state->path = std::string(path);
  std::lock_guard l(impl_->hub->mu);
  impl_->hub->subs.push_back(state);
  return std::make_unique<Subscription>(impl_->hub, std::move(state));
}

}  // namespace zinnia::fusefs
