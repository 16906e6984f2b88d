// The floors of `zinnia run` with Debian's libnode (scripts/bench/run startup runs them beside
// zinnia and Deno; docs/benchmarks.md, "Start-up").
//   libnode_floor            loads libnode.so.108 (linked -z now: every symbol bound at load)
//                            and asks V8 its version: the load alone.
//   libnode_floor --isolate  the least any embedder of this V8 does to print "hello" from
//                            JavaScript: a default platform, one isolate and one context from
//                            V8's own snapshot, one script compiled and run, then disposed.
//                            Without the snapshot checksum, as zinnia (engine/v8/platform.cc).
#include <libplatform/libplatform.h>
#include <v8.h>

#include <cstdio>
#include <cstring>

namespace {

int hello() {
  v8::V8::SetFlagsFromString("--no-verify-snapshot-checksum");
  auto platform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  v8::Isolate* isolate = v8::Isolate::New(params);
  int rc = 1;
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    auto context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    if (v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate, "'hel' + 'lo'"))
            .ToLocal(&script) &&
        script->Run(context).ToLocal(&result)) {
      v8::String::Utf8Value text(isolate, result);
      rc = std::printf("%s\n", *text) > 0 ? 0 : 1;
    }
  }
  isolate->Dispose();
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  delete params.array_buffer_allocator;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--isolate") == 0) return hello();
  return v8::V8::GetVersion()[0] == '\0' ? 1 : 0;
}
