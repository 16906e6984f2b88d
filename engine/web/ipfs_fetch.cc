#include "engine/web/ipfs_fetch.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "engine/ipfs/service.h"
#include "engine/p2p/p2p.h"
#include "engine/v8/bind.h"
#include "engine/v8/util.h"
#include "engine/web/fetch.h"

namespace zinnia::engine::web {

namespace {
std::mutex g_service_mu;
std::shared_ptr<ipfs::RetrievalService> g_service;

// At exit (zinnia run has joined its module, zinniad's supervisor has stopped them all, so no
// IpfsFetch holds it any more): the service is destroyed and its thread joined, before the
// statics it may still use (the libp2p node's, libcurl's) are torn down.
void release_service_at_exit() {
  std::shared_ptr<ipfs::RetrievalService> last;
  {
    std::lock_guard lock(g_service_mu);
    last.swap(g_service);
  }
}
}  // namespace

std::shared_ptr<ipfs::RetrievalService> process_retrieval_service() {
  std::lock_guard lock(g_service_mu);
  if (g_service) return g_service;
  ipfs::RetrieverConfig config = ipfs::RetrieverConfig::from_env();
  config.user_agent = "zinnia";
  // Bitswap providers are reached through the process's libp2p node, shared with
  // Zinnia.requestProtocol (made on the first Bitswap provider).
  config.libp2p_node = [] { return process_libp2p_node(); };
  g_service = std::make_shared<ipfs::RetrievalService>(std::move(config));
  static const bool registered = std::atexit(release_service_at_exit) == 0;
  (void)registered;
  return g_service;
}

// Shared by a module's IpfsFetch (module thread) and its retrievals' sinks (service thread).
struct IpfsLink : std::enable_shared_from_this<IpfsLink> {
  std::shared_ptr<Poster> poster;
  std::atomic<bool> alive{true};  // cleared by IpfsFetch::shutdown, before the loop goes away
  IpfsFetch* owner = nullptr;     // module thread only (read by posted tasks, which run there)

  // Runs `fn(owner)` on the module thread, unless the module has shut down first.
  template <class Fn>
  bool post(Fn fn) {
    if (!alive.load()) return false;
    return poster->post([self = shared_from_this(), fn = std::move(fn)] {
      if (self->owner) fn(*self->owner);
    });
  }
};

namespace {

// One retrieval's flow control, shared by its service sink and the module's entry.
struct Flow {
  std::mutex mu;
  std::size_t unread = 0;       // posted to the module, not yet handed to JS
  bool js_paused = false;       // fetch.js's stream is full until JS pulls
  bool service_paused = false;  // on_data answered false; the module resumes it
};

// Lives on the service's thread: posts every call to the module's loop.
struct ServiceSink : ipfs::RetrievalSink {
  std::shared_ptr<IpfsLink> link;
  std::shared_ptr<Flow> flow;
  std::uint32_t key;
  ServiceSink(std::shared_ptr<IpfsLink> l, std::shared_ptr<Flow> f, std::uint32_t k)
      : link(std::move(l)), flow(std::move(f)), key(k) {}

  void on_response(int status, const std::string& message) override {
    link->post(
        [key = key, status, message](IpfsFetch& f) { f.deliver_response(key, status, message); });
  }
  bool on_data(ipfs::ByteView car) override {
    std::string bytes(reinterpret_cast<const char*>(car.data()), car.size());
    const std::size_t n = bytes.size();
    {
      std::lock_guard lock(flow->mu);
      flow->unread += n;
    }
    if (!link->post(
            [key = key, bytes = std::move(bytes)](IpfsFetch& f) { f.deliver_data(key, bytes); }))
      return false;  // the module is gone; its cancel follows
    std::lock_guard lock(flow->mu);
    const bool more = flow->unread < IpfsFetch::kUnreadBound && !flow->js_paused;
    if (!more) flow->service_paused = true;
    return more;
  }
  void on_end() override {
    link->post([key = key](IpfsFetch& f) { f.deliver_end(key); });
  }
  void on_error(const std::string& message) override {
    link->post([key = key, message](IpfsFetch& f) { f.deliver_error(key, message); });
  }
};

}  // namespace

struct IpfsFetch::Entry {
  std::uint32_t service_id = 0;
  std::string url;
  v8::Global<v8::Function> on_event;
  Loop::Ref ref;  // an unfinished retrieval that JS is reading keeps the module alive
  std::shared_ptr<Flow> flow;
  ~Entry() { on_event.Reset(); }
};

IpfsFetch::IpfsFetch(Loop& loop) : loop_(loop), link_(std::make_shared<IpfsLink>()) {
  link_->poster = loop_.poster();
  link_->owner = this;
}

IpfsFetch::~IpfsFetch() { shutdown(); }

bool IpfsFetch::emit(Entry& e, int argc, v8::Local<v8::Value>* argv) {
  bool more = false;
  loop_.run([&] {
    auto* isolate = loop_.isolate();
    v8::Local<v8::Value> result;
    if (e.on_event.IsEmpty()) return;
    if (e.on_event.Get(isolate)
            ->Call(loop_.context(), v8::Undefined(isolate), argc, argv)
            .ToLocal(&result))
      more = result->IsTrue();
  });
  return more;
}

void IpfsFetch::finish(std::uint32_t key) { entries_.erase(key); }

void IpfsFetch::deliver_response(std::uint32_t key, int status, const std::string& message) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;  // aborted
  Entry& e = *it->second;
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  auto context = loop_.context();
  v8::Context::Scope context_scope(context);
  const char* type =
      status == 200 ? "application/vnd.ipld.car; version=1" : "text/plain; charset=utf-8";
  auto pairs = v8::Array::New(isolate, 2);
  pairs->Set(context, 0, to_v8(isolate, "content-type")).Check();
  pairs->Set(context, 1, to_v8(isolate, type)).Check();
  const char* text = status == 200   ? "OK"
                     : status == 400 ? "Bad Request"
                     : status == 404 ? "Not Found"
                     : status == 504 ? "Gateway Timeout"
                                     : "Bad Gateway";
  v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kHeaders),
                                 v8::Integer::New(isolate, status),
                                 to_v8(isolate, text),
                                 pairs,
                                 to_v8(isolate, e.url),
                                 v8::False(isolate)};
  emit(e, 6, argv);
  if (status == 200) return;
  // As Lassie's HTTP server: the reason is the body.
  v8::Local<v8::Value> data[] = {event(isolate, FetchEvent::kData),
                                 host_bytes(isolate, message.data(), message.size())};
  emit(e, 2, data);
  v8::Local<v8::Value> end[] = {event(isolate, FetchEvent::kEnd)};
  emit(e, 1, end);
  finish(key);
}

void IpfsFetch::deliver_data(std::uint32_t key, const std::string& bytes) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  v8::Context::Scope context_scope(loop_.context());
  v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kData),
                                 host_bytes(isolate, bytes.data(), bytes.size())};
  const bool more = emit(e, 2, argv);
  {
    std::lock_guard lock(e.flow->mu);
    e.flow->unread -= bytes.size();
    if (!more) e.flow->js_paused = true;
  }
  // Only JS reading can resume a paused body: an unread body does not keep the module alive.
  if (!more) e.ref.reset();
  resume_if_drained(e);
}

void IpfsFetch::resume_if_drained(Entry& e) {
  bool go = false;
  {
    std::lock_guard lock(e.flow->mu);
    go = e.flow->service_paused && !e.flow->js_paused && e.flow->unread < kUnreadBound;
    if (go) e.flow->service_paused = false;
  }
  if (go) service_->resume(e.service_id);
}

void IpfsFetch::deliver_end(std::uint32_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  v8::HandleScope scope(loop_.isolate());
  v8::Local<v8::Value> argv[] = {event(loop_.isolate(), FetchEvent::kEnd)};
  emit(*it->second, 1, argv);
  finish(key);
}

void IpfsFetch::deliver_error(std::uint32_t key, const std::string& message) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  auto* isolate = loop_.isolate();
  v8::HandleScope scope(isolate);
  v8::Context::Scope context_scope(loop_.context());
  v8::Local<v8::Value> argv[] = {event(isolate, FetchEvent::kError), to_v8(isolate, message),
                                 to_v8(isolate, "IPFS_RETRIEVAL")};
  emit(*it->second, 3, argv);
  finish(key);
}

std::uint32_t IpfsFetch::start(const std::string& url, v8::Local<v8::Function> on_event) {
  if (!service_) {
    try {
      service_ = process_retrieval_service();
    } catch (const ipfs::Error& e) {
      throw bind::TypeError(std::string("fetch failed: ") + e.what());
    } catch (const std::runtime_error& e) {  // libcurl cannot be loaded
      throw bind::TypeError(std::string("fetch failed: ") + e.what());
    }
  }
  if (!link_->alive.load()) throw bind::TypeError("fetch failed: the module is shutting down");
  static std::atomic<std::uint32_t> next_key{1};
  std::uint32_t key = next_key++;
  if (key == 0) key = next_key++;
  auto entry = std::make_unique<Entry>();
  entry->url = url;
  entry->on_event.Reset(loop_.isolate(), on_event);
  entry->ref = loop_.ref();
  entry->flow = std::make_shared<Flow>();
  auto sink = std::make_unique<ServiceSink>(link_, entry->flow, key);
  entry->service_id = service_->start(url, std::move(sink));
  entries_[key] = std::move(entry);
  return key;
}

void IpfsFetch::resume(std::uint32_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  e.ref = loop_.ref();
  {
    std::lock_guard lock(e.flow->mu);
    e.flow->js_paused = false;
  }
  resume_if_drained(e);
}

void IpfsFetch::abort(std::uint32_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  service_->cancel(it->second->service_id);
  entries_.erase(it);  // events still on their way find no entry
}

void IpfsFetch::shutdown() {
  link_->alive.store(false);
  link_->owner = nullptr;
  for (auto& [key, e] : entries_) service_->cancel(e->service_id);
  entries_.clear();
}

}  // namespace zinnia::engine::web
