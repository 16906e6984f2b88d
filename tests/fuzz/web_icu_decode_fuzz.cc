// Fuzzes the legacy TextDecoder encodings (ICU converters, engine/web/icu_decoder.cc). The first
// byte picks the encoding, whether to decode fatally and how to cut the rest into chunks.
// Whatever the input: decoding ends; fed in chunks (stream: true) it gives exactly what it
// gives in one piece; a fatal decode fails only where the replacing one put a U+FFFD, and
// otherwise gives the same text. The single-byte table loop is checked the same way.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/web/icu_decoder.h"

using namespace zinnia::engine::web;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace {
// The ICU names legacy_encoding.js asks for.
const char* const kEncodings[] = {
    "IBM866",         "ISO-8859-2",   "ISO-8859-3",   "ISO-8859-4",   "ISO-8859-5",
    "ISO-8859-6",     "ISO-8859-7",   "ISO-8859-8",   "ISO-8859-10",  "ISO-8859-13",
    "ISO-8859-14",    "ISO-8859-15",  "KOI8-R",       "KOI8-U",       "macintosh",
    "windows-874",    "windows-1250", "windows-1251", "windows-1252", "windows-1253",
    "windows-1254",   "windows-1255", "windows-1256", "windows-1257", "windows-1258",
    "x-mac-cyrillic", "gb18030",      "Big5-HKSCS",   "EUC-JP",       "ISO-2022-JP",
    "windows-31j",    "windows-949",  "UTF-16BE"};
constexpr std::size_t kCount = sizeof kEncodings / sizeof kEncodings[0];

struct Conv {
  explicit Conv(const char* name) : c(icu_open_decoder(name, nullptr)) {}
  ~Conv() {
    if (c) ucnv_close(c);
  }
  UConverter* c;
};
// The single-byte lookup loop (legacy_encoding.js's tables): one code unit per byte, a hole
// (0) is U+FFFD or fails a fatal decode, and chunks give what one piece gives.
void single_byte(const std::uint8_t* data, std::size_t size) {
  char16_t table[128];
  for (int i = 0; i < 128; ++i)
    table[i] = (i * 7 + data[0]) % 11 == 0 ? 0 : static_cast<char16_t>(0x100 + i);
  std::u16string one;
  CHECK(single_byte_decode(table, data, size, false, one));
  CHECK(one.size() == size);
  for (std::size_t i = 0; i < size; ++i) CHECK(data[i] < 0x80 ? one[i] == data[i] : one[i] != 0);
  std::u16string pieces;
  const std::size_t chunk = 1 + data[1] % 64;
  for (std::size_t pos = 0; pos < size; pos += chunk)
    CHECK(single_byte_decode(table, data + pos, std::min(chunk, size - pos), false, pieces));
  CHECK(pieces == one);
  std::u16string strict;
  if (single_byte_decode(table, data, size, true, strict))
    CHECK(strict == one && one.find(u'\uFFFD') == std::u16string::npos);
  else
    CHECK(strict.empty() && one.find(u'\uFFFD') != std::u16string::npos);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  single_byte(data, size);
  const char* name = kEncodings[data[0] % kCount];
  const std::size_t chunk = 1 + data[1] % 64;
  const char* in = reinterpret_cast<const char*>(data + 2);
  size -= 2;
  Conv whole(name), pieces(name), fatal(name);
  if (!whole.c) return 0;  // an encoding this ICU build lacks
  std::u16string one;
  CHECK(icu_decode(whole.c, in, size, true, false, one));
  std::u16string streamed;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(chunk, size - pos);
    CHECK(icu_decode(pieces.c, in + pos, n, pos + n == size, false, streamed));
    pos += n;
  } while (pos < size);
  CHECK(streamed == one);
  std::u16string strict;
  if (icu_decode(fatal.c, in, size, true, true, strict))
    CHECK(strict == one);
  else
    CHECK(one.find(u'\uFFFD') != std::u16string::npos);
  return 0;
}
