#pragma once
// A V8 startup snapshot of the bootstrapped context (docs/engine.md, "Start time"): made at
// build time by zinnia_snapshot_gen (snapshot_gen.cc), embedded in the binaries that link
// zinnia_snapshot, and handed to the Runtime (RuntimeOptions::snapshot). A module's context is
// then deserialized with every bootstrap file already run; only what is per module runs
// (Api::Boot::kFromSnapshot).
#include <cstdint>
#include <string>
#include <string_view>

namespace zinnia::engine {

struct SnapshotBlob {
  std::string_view data;  // V8's blob
  std::string_view key;   // snapshot_key() of the process that made it
  // The data is a constant of this binary (read-only pages mapped from its file), so the
  // Runtime may give its pages back once a context was made from it (Runtime::context_made).
  bool in_binary = false;
};

// The blob built into this binary (engine/runtime/CMakeLists: the zinnia_snapshot library,
// generated at build time). Only binaries that link zinnia_snapshot have it.
SnapshotBlob embedded_snapshot();

// What a blob must have been made with to be used here: this binary's version, V8's version,
// the V8 flags (`zinnia run --v8-flags` gets no snapshot) and the bootstrap JS. A blob with
// another key is not given to V8 (which aborts the process on a version mismatch).
// After initialize_v8().
std::string snapshot_key();
// The same pieces with `v8_detail` after V8's version: the key of everything made from the
// bootstrap (the snapshot, the code cache). After initialize_v8().
std::string bootstrap_key(std::string_view v8_detail);

// Every address outside V8's heap the bootstrapped context refers to: each extension's
// natives and the bootstrap sources' string resources, null-terminated, the same list (and
// order) in the process that makes the blob and in every one that uses it.
const std::intptr_t* snapshot_external_references();

// Makes the blob: a fresh isolate, the engine's extensions bootstrapped with
// Api::Boot::kForSnapshot, then SnapshotCreator::CreateBlob. After initialize_v8(), in a
// process that has no other isolate. Throws std::runtime_error (with the bootstrap's error).
std::string make_snapshot();

}  // namespace zinnia::engine
