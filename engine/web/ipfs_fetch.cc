#include "engine/web/ipfs_fetch.h"

#include <cstring>
#include <stdexcept>

#include "engine/loop/loop.h"
#include "engine/p2p/p2p.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"
#include "engine/web/fetch.h"

namespace zinnia::engine::web {

// Hands the retrieval's events to fetch.js, each as one turn of the module's loop.
struct IpfsSink : ipfs::RetrievalSink {
  IpfsFetch& owner;
  std::uint32_t id = 0;
  std::string url;
  v8::Global<v8::Function> on_event;
  Loop::Ref ref;  // an unfinished retrieval that JS is reading keeps the module alive

  IpfsSink(IpfsFetch& o, std::string u, v8::Local<v8::Function> fn)
      : owner(o), url(std::move(u)), on_event(o.loop_.isolate(), fn), ref(o.loop_.ref()) {}
  ~IpfsSink() override {
    owner.sinks_.erase(id);
    on_event.Reset();
  }

  // Calls on_event(kind, args...) inside a turn; true when it returned true.
  bool emit(int argc, v8::Local<v8::Value>* argv) {
    bool more = false;
    owner.loop_.run([&] {
      auto* isolate = owner.loop_.isolate();
      v8::Local<v8::Value> result;
      if (on_event.IsEmpty()) return;
      if (on_event.Get(isolate)
              ->Call(owner.loop_.context(), v8::Undefined(isolate), argc, argv)
              .ToLocal(&result))
        more = result->IsTrue();
    });
    return more;
  }
  v8::Local<v8::Value> kind(FetchEvent k) {
    return v8::Integer::New(owner.loop_.isolate(), static_cast<int>(k));
  }
  v8::Local<v8::Uint8Array> bytes(const void* data, std::size_t size) {
    auto store = host_backing_store(owner.loop_.isolate(), size);
    if (size) std::memcpy(store->Data(), data, size);
    auto buffer = v8::ArrayBuffer::New(owner.loop_.isolate(), std::move(store));
    return v8::Uint8Array::New(buffer, 0, size);
  }

  void on_response(int status, const std::string& message) override {
    auto* isolate = owner.loop_.isolate();
    v8::HandleScope scope(isolate);
    auto context = owner.loop_.context();
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
    v8::Local<v8::Value> argv[] = {kind(FetchEvent::kHeaders), v8::Integer::New(isolate, status),
                                   to_v8(isolate, text),       pairs,
                                   to_v8(isolate, url),        v8::False(isolate)};
    emit(6, argv);
    if (status == 200) return;
    // As Lassie's HTTP server: the reason is the body.
    v8::Local<v8::Value> data[] = {kind(FetchEvent::kData), bytes(message.data(), message.size())};
    emit(2, data);
    v8::Local<v8::Value> end[] = {kind(FetchEvent::kEnd)};
    emit(1, end);
    ref.reset();
  }
  bool on_data(ipfs::ByteView car) override {
    v8::HandleScope scope(owner.loop_.isolate());
    v8::Context::Scope context_scope(owner.loop_.context());
    v8::Local<v8::Value> argv[] = {kind(FetchEvent::kData), bytes(car.data(), car.size())};
    bool more = emit(2, argv);
    // Only JS reading can resume a paused body: an unread body does not keep the module alive.
    if (!more) ref.reset();
    return more;
  }
  void on_end() override {
    v8::HandleScope scope(owner.loop_.isolate());
    v8::Local<v8::Value> argv[] = {kind(FetchEvent::kEnd)};
    emit(1, argv);
    ref.reset();
  }
  void on_error(const std::string& message) override {
    auto* isolate = owner.loop_.isolate();
    v8::HandleScope scope(isolate);
    v8::Context::Scope context_scope(owner.loop_.context());
    v8::Local<v8::Value> argv[] = {kind(FetchEvent::kError), to_v8(isolate, message),
                                   to_v8(isolate, "IPFS_RETRIEVAL")};
    emit(3, argv);
    ref.reset();
  }
};

std::uint32_t IpfsFetch::start(const std::string& url, v8::Local<v8::Function> on_event) {
  if (!retriever_) {
    ipfs::RetrieverConfig config;
    try {
      config = ipfs::RetrieverConfig::from_env();
    } catch (const ipfs::Error& e) {
      throw bind::TypeError(std::string("fetch failed: ") + e.what());
    }
    config.user_agent = "zinnia";
    // Bitswap providers are reached through the process's libp2p node, shared with
    // Zinnia.requestProtocol (made on the first Bitswap provider).
    config.libp2p_node = [] { return process_libp2p_node(); };
    try {
      retriever_ = std::make_unique<ipfs::Retriever>(curl_(), std::move(config));
    } catch (const std::runtime_error& e) {  // libcurl cannot be loaded
      throw bind::TypeError(std::string("fetch failed: ") + e.what());
    }
  }
  auto sink = std::make_unique<IpfsSink>(*this, url, on_event);
  IpfsSink* raw = sink.get();
  std::uint32_t id = retriever_->start(url, std::move(sink));
  raw->id = id;
  sinks_[id] = raw;
  return id;
}

void IpfsFetch::resume(std::uint32_t id) {
  auto it = sinks_.find(id);
  if (it == sinks_.end() || !retriever_) return;
  it->second->ref = loop_.ref();
  retriever_->resume(id);
}

void IpfsFetch::abort(std::uint32_t id) {
  auto it = sinks_.find(id);
  if (it == sinks_.end() || !retriever_) return;
  it->second->on_event.Reset();  // no more events
  it->second->ref.reset();
  retriever_->cancel(id);
}

void IpfsFetch::shutdown() {
  if (retriever_) retriever_->shutdown();
  retriever_.reset();
}

}  // namespace zinnia::engine::web
