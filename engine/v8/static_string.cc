// Built without RTTI (libnode is): it subclasses one of V8's interfaces.
#include <cstdint>
#include <cstring>

#include "engine/v8/util.h"

namespace zinnia::engine {
namespace {

// Text that lives as long as the process (the embedded JS): V8 reads it in place.
class StaticOneByte final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit StaticOneByte(std::string_view text) : text_(text) {}
  const char* data() const override { return text_.data(); }
  size_t length() const override { return text_.size(); }

 private:
  void Dispose() override {}  // shared by every isolate of the process: never freed
  std::string_view text_;
};

}  // namespace

bool is_ascii(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, text.data() + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) & 0x80) return false;
  return true;
}

v8::String::ExternalOneByteStringResource* static_resource(std::string_view text) {
  return new StaticOneByte(text);
}

v8::Local<v8::String> static_string(v8::Isolate* isolate,
                                    v8::String::ExternalOneByteStringResource* resource,
                                    std::string_view text) {
  v8::Local<v8::String> out;
  if (resource && v8::String::NewExternalOneByte(isolate, resource).ToLocal(&out)) return out;
  return to_v8(isolate, text);
}

}  // namespace zinnia::engine
