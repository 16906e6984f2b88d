#pragma once
#include <cstddef>
#include <string_view>

namespace zinnia {

// Where `text` stops being UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates,
// nothing past U+10FFFF): the offset of the first byte that does not begin a whole valid
// sequence, or std::string_view::npos when all of it is UTF-8.
std::size_t utf8_invalid_at(std::string_view text);

inline bool valid_utf8(std::string_view text) {
  return utf8_invalid_at(text) == std::string_view::npos;
}

}  // namespace zinnia
