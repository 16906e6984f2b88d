#pragma once
// The legacy TextDecoder encodings' decoding loop over an ICU converter (install.cc,
// js/legacy_encoding.js). No V8 here, so it can be fuzzed (tests/fuzz/web_icu_decode_fuzz.cc).
#include <unicode/ucnv.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace zinnia::engine::web {

// An ICU converter set up for icu_decode (errors stop the conversion, so that icu_decode
// decides what a malformed sequence becomes). Null, with `error` set, when ICU has none.
UConverter* icu_open_decoder(const std::string& icu_name, std::string* error);

// Decodes `size` bytes (flush: the last of the stream) and appends the UTF-16 to `out`; each
// malformed sequence becomes one U+FFFD. With `fatal`, a malformed sequence resets the
// converter and returns false instead.
bool icu_decode(UConverter* conv, const char* data, std::size_t size, bool flush, bool fatal,
                std::u16string& out);

// A single-byte encoding: bytes below 0x80 are ASCII, the others are looked up in `table`
// (code units for 0x80-0xFF, 0 where the encoding has none: U+FFFD, or false with `fatal`).
// Appends to `out`.
bool single_byte_decode(const char16_t (&table)[128], const std::uint8_t* data, std::size_t size,
                        bool fatal, std::u16string& out);

}  // namespace zinnia::engine::web
