#include "engine/runtime/snapshot.h"

#include <v8.h>

#include <stdexcept>
#include <vector>

#include "engine/api/host.h"
#include "engine/js/embedded.h"
#include "engine/loop/loop.h"
#include "engine/runtime/extensions.h"
#include "engine/v8/platform.h"
#include "engine/v8/util.h"
#include "util/version.h"

namespace zinnia::engine {
namespace {

// The snapshot's bootstrap prints nothing and has no module to report on.
class NoSink final : public Sink {
 public:
  void console(Level, std::string_view) override {}
  void activity(Level, std::string_view) override {}
  void job_completed() override {}
  void exited(const Exit&) override {}
};

}  // namespace

std::string bootstrap_key(std::string_view v8_detail) {
  // Appended piece by piece: GCC 12 warns (-Warray-bounds) in a long operator+ chain.
  std::string key = "zinnia ";
  key += kVersion;
  key += "; v8 ";
  key += v8_version();
  key += v8_detail;
  key += "; flags ";
  key += v8_flags();
  key += "; js ";
  key += embedded::kBootstrapDigest;
  return key;
}

std::string snapshot_key() { return bootstrap_key(""); }

const std::intptr_t* snapshot_external_references() {
  // By position, duplicates kept: V8 refers to an entry by its index and ignores a repeated
  // address when encoding (two natives may share one after identical code folding), so the
  // list only has to be built the same way in the generator and here.
  static const std::vector<std::intptr_t> refs = [] {
    std::vector<std::intptr_t> out;
    for (const bind::Extension* ext : extensions())
      for (const bind::Native& n : ext->natives)
        out.push_back(reinterpret_cast<std::intptr_t>(n.callback));
    for (auto* resource : bootstrap_resources())
      out.push_back(reinterpret_cast<std::intptr_t>(resource));
    out.push_back(0);
    return out;
  }();
  return refs.data();
}

std::string make_snapshot() {
  v8::SnapshotCreator creator(snapshot_external_references());
  auto* isolate = creator.GetIsolate();
  std::string error;
  {
    v8::HandleScope scope(isolate);
    creator.SetDefaultContext(v8::Context::New(isolate));
    auto context = v8::Context::New(isolate);
    {
      v8::Context::Scope context_scope(context);
      NoSink sink;
      Loop loop(isolate, context);
      Api api(loop, sink, ApiConfig{});
      v8::TryCatch try_catch(isolate);
      if (api.bootstrap(context, extensions(), Api::Boot::kForSnapshot)) {
        isolate->PerformMicrotaskCheckpoint();
        if (creator.AddData(context, api.host()) != Api::kSnapshotHost ||
            creator.AddData(context, api.internals()) != Api::kSnapshotInternals)
          error = "unexpected snapshot data indices";
      } else {
        error = try_catch.HasCaught() ? describe_exception(isolate, context, try_catch.Exception(),
                                                           try_catch.Message(), "")
                                            .stack
                                      : "bootstrap failed";
        if (error.empty()) error = to_utf8(isolate, try_catch.Exception());
      }
      // Every Global goes before the blob is made (V8 refuses one it cannot serialise).
      api.reset();
      loop.close();
    }
    if (error.empty()) creator.AddContext(context);
  }
  if (!error.empty()) throw std::runtime_error("startup snapshot: " + error);
  // kKeep: the bytecode of every function the bootstrap compiled stays in the snapshot.
  v8::StartupData blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  if (!blob.data || blob.raw_size <= 0)
    throw std::runtime_error("startup snapshot: V8 made no blob");
  std::string out(blob.data, static_cast<std::size_t>(blob.raw_size));
  delete[] blob.data;
  return out;
}

}  // namespace zinnia::engine
