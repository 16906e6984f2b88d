#pragma once
// multipart/form-data parsing for Response/Request.formData() (js/formdata.js). No V8 here, so
// it can be fuzzed (tests/fuzz/web_multipart_fuzz.cc).
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zinnia::engine::web {

// A malformed body; the message names what is wrong.
struct MultipartError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MultipartPart {
  std::string name;                     // bytes as sent (UTF-8 expected), %0A %0D %22 decoded
  std::optional<std::string> filename;  // a file part
  std::string content_type;             // "" when the part has none
  std::size_t body_offset = 0;          // the part's body within the parsed bytes
  std::size_t body_size = 0;
};

// Parses `body` with the `boundary` of its Content-Type. Throws MultipartError.
std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace zinnia::engine::web
