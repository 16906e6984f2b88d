#include "fusefs/tree/tree.h"

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "fusefs/tree/tree_impl.h"
#include "util/error.h"

namespace zinnia::fusefs {
namespace {

using detail::Node;
using detail::NodeKind;

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

// --- watchers -------------------------------------------------------------------------

void detail::WatchList::fire() {
  std::vector<std::shared_ptr<Watch::State>> copy;
  {
    std::lock_guard l(mu);
    if (states.empty()) return;
    copy = states;
  }
  for (const auto& s : copy) {
    std::lock_guard l(s->mu);
    if (!s->active) continue;
    try {
      s->callback();
    } catch (...) {  // a subscriber's failure must not break the writer
    }
  }
}

std::shared_ptr<detail::WatchList> detail::Hub::list_for(std::string_view path) {
  std::lock_guard l(watch_mu);
  auto it = watch_lists.find(path);
  if (it == watch_lists.end())
    it = watch_lists.emplace(std::string(path), std::make_shared<WatchList>()).first;
  return it->second;
}

void detail::Hub::changed(std::uint64_t ino, const std::shared_ptr<WatchList>& watchers) {
  {
    std::shared_lock l(listeners_mu);
    for (auto& [id, listener] : listeners) listener(ino);
  }
  if (watchers) watchers->fire();
}

Watch::Watch(std::shared_ptr<State> state) : state_(std::move(state)) {}
Watch::Watch(Watch&& o) noexcept : state_(std::move(o.state_)) {}
Watch& Watch::operator=(Watch&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
  }
  return *this;
}
Watch::~Watch() { reset(); }

void Watch::reset() {
  if (!state_) return;
  if (auto list = std::static_pointer_cast<detail::WatchList>(state_->list.lock())) {
    std::lock_guard l(list->mu);
    std::erase(list->states, state_);
  }
  {
    // Waits for a callback running on another thread (recursive: may be called from it).
    std::lock_guard l(state_->mu);
    state_->active = false;
  }
  state_.reset();
}

// --- Impl -------------------------------------------------------------------------------

Tree::Impl::Impl(TreeOptions o) : options(std::move(o)) {
  auto root = std::make_unique<Node>();
  root->kind = NodeKind::kDir;
  root->ino = 1;
  root->parent = nullptr;
  root->watchers = hub->list_for("");
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
  n->watchers = hub->list_for(n->path);
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

void Tree::Impl::announce(const std::vector<Node*>& created) {
  for (Node* n : created) {
    hub->changed(n->ino, n->watchers);
    if (n->parent) hub->changed(n->parent->ino, n->parent->watchers);
  }
}

Node* Tree::Impl::child(Node* dir, std::string_view name) const {
  auto it = dir->children.find(name);
  return it == dir->children.end() ? nullptr : it->second;
}

Node* Tree::Impl::node(std::uint64_t ino) const {
  std::shared_lock l(mu);
  if (ino == 0 || ino > nodes.size()) return nullptr;
  return nodes[ino - 1].get();
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

detail::Attr Tree::Impl::attr(const Node* n) const {
  switch (n->kind) {
    case NodeKind::kLog:
      return {n->ino, n->kind, n->log->size(), n->log->mtime_ns()};
    case NodeKind::kBlob: {
      auto b = n->blob_snapshot();
      return {n->ino, n->kind, b ? b->size() : 0, n->mtime_ns.load()};
    }
    case NodeKind::kDir:
      break;
  }
  return {n->ino, n->kind, 0, n->mtime_ns.load()};
}

std::vector<DirEntry> Tree::Impl::entries(const Node* dir) const {
  std::vector<DirEntry> out;
  std::shared_lock l(mu);
  out.reserve(dir->children.size());
  for (const auto& [name, n] : dir->children)
    out.push_back({name, n->kind != NodeKind::kDir, n->kind == NodeKind::kDir});
  return out;
}

std::uint64_t Tree::Impl::add_listener(detail::Hub::Listener l) {
  std::unique_lock lock(hub->listeners_mu);
  std::uint64_t id = hub->next_listener++;
  hub->listeners.emplace(id, std::move(l));
  return id;
}

void Tree::Impl::remove_listener(std::uint64_t id) {
  std::unique_lock lock(hub->listeners_mu);
  hub->listeners.erase(id);
}

// --- Tree -------------------------------------------------------------------------------

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
    std::shared_ptr<detail::Hub> hub;
    std::uint64_t ino = 0;
    std::shared_ptr<detail::WatchList> watchers;
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
        [p = pubs[i]] { p->hub->changed(p->ino, p->watchers); }});
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
      pubs[i]->watchers = n->watchers;
      impl_->logs.emplace(component + "/" + names[i], logs[i]);
    }
  }
  impl_->announce(created);
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
    n = impl_->child(dir, name);
    if (n && n->kind == NodeKind::kDir) throw_errno("set blob", path, EISDIR);
    if (n && n->kind == NodeKind::kLog) throw_errno("set blob", path, EEXIST);
    if (!n) n = impl_->add_node(dir, name, NodeKind::kBlob, &created);
    std::lock_guard bl(n->blob_mu);
    n->blob = std::move(data);
    n->mtime_ns = now_ns();
  }
  impl_->announce(created);
  if (std::find(created.begin(), created.end(), n) == created.end())
    impl_->hub->changed(n->ino, n->watchers);
}

std::error_code Tree::stat(std::string_view path, NodeStat* out) const {
  Node* n = nullptr;
  if (auto ec = impl_->find(path, &n)) return ec;
  detail::Attr a = impl_->attr(n);
  out->size = a.size;
  out->mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(a.mtime_ns)));
  out->is_dir = n->kind == NodeKind::kDir;
  out->is_file = !out->is_dir;
  return {};
}

std::error_code Tree::read(std::string_view path, std::uint64_t offset, std::size_t size,
                           std::string* out) const {
  Node* n = nullptr;
  if (auto ec = impl_->find(path, &n)) return ec;
  out->clear();
  switch (n->kind) {
    case NodeKind::kDir:
      return err(EISDIR);
    case NodeKind::kBlob: {
      auto b = n->blob_snapshot();
      if (b && offset < b->size())
        out->assign(*b, static_cast<std::size_t>(offset),
                    std::min<std::size_t>(size, b->size() - static_cast<std::size_t>(offset)));
      return {};
    }
    case NodeKind::kLog: {
      std::uint64_t total = n->log->size();
      if (offset >= total) return {};
      out->resize(static_cast<std::size_t>(std::min<std::uint64_t>(size, total - offset)));
      out->resize(n->log->read(offset, out->data(), out->size()));
      return {};
    }
  }
  return {};
}

std::error_code Tree::list(std::string_view path, std::vector<DirEntry>* out) const {
  Node* n = nullptr;
  if (auto ec = impl_->find(path, &n)) return ec;
  if (n->kind != NodeKind::kDir) return err(ENOTDIR);
  *out = impl_->entries(n);
  return {};
}

Watch Tree::watch(std::string_view path, std::function<void()> callback) {
  if (!valid_tree_path(path)) throw_errno("watch", path, EINVAL);
  auto list = impl_->hub->list_for(path);
  auto state = std::make_shared<Watch::State>();
  state->callback = std::move(callback);
  state->list = list;
  std::lock_guard l(list->mu);
  list->states.push_back(state);
  return Watch(std::move(state));
}

}  // namespace zinnia::fusefs
