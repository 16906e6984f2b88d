#include <gtest/gtest.h>
#include <v8.h>

#include <memory>
#include <string>

#include "engine/v8/platform.h"

namespace {

std::string eval(v8::Isolate* isolate, const char* code) {
  v8::HandleScope hs(isolate);
  auto context = v8::Context::New(isolate);
  v8::Context::Scope cs(context);
  auto source = v8::String::NewFromUtf8(isolate, code).ToLocalChecked();
  auto result =
      v8::Script::Compile(context, source).ToLocalChecked()->Run(context).ToLocalChecked();
  v8::String::Utf8Value text(isolate, result);
  return *text;
}

TEST(V8Smoke, EvaluatesScriptInFreshIsolate) {
  zinnia::engine::initialize_v8();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope scope(isolate);
    EXPECT_EQ(eval(isolate, "[1, 2, 3].map(x => x * 2).join(',')"), "2,4,6");
    EXPECT_EQ(eval(isolate, "typeof BigInt(1)"), "bigint");
    EXPECT_EQ(eval(isolate, "new Intl.NumberFormat('en').format(1234.5)"), "1,234.5");
  }
  isolate->Dispose();
}

TEST(V8Smoke, LibraryMatchesHeaders) {
  EXPECT_EQ(std::stoi(zinnia::engine::v8_version()), V8_MAJOR_VERSION);
}

}  // namespace
