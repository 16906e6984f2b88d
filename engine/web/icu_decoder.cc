#include "engine/web/icu_decoder.h"

#include <cstdint>

namespace zinnia::engine::web {

namespace {
// Where ICU's gb18030 table (GB18030-2005) differs from the Encoding Standard's index-gb18030
// (GB18030-2022): 18 two-byte codes ICU still maps to the Private Use Area, and A3A0, which the
// index maps to U+3000. ICU maps nothing else to these PUA code points, so the output is
// corrected by code point. docs/web-apis.md, "Legacy encodings".
struct PuaFix {
  char16_t icu, standard;
};
constexpr PuaFix kGb18030Fixes[] = {
    {0xE5E5, 0x3000}, {0xE78D, 0xFE10}, {0xE78E, 0xFE12}, {0xE78F, 0xFE11}, {0xE790, 0xFE13},
    {0xE791, 0xFE14}, {0xE792, 0xFE15}, {0xE793, 0xFE16}, {0xE794, 0xFE17}, {0xE795, 0xFE18},
    {0xE796, 0xFE19}, {0xE81E, 0x9FB4}, {0xE826, 0x9FB5}, {0xE82B, 0x9FB6}, {0xE82C, 0x9FB7},
    {0xE832, 0x9FB8}, {0xE843, 0x9FB9}, {0xE854, 0x9FBA}, {0xE864, 0x9FBB}};

void fix_gb18030(std::u16string& out, std::size_t from) {
  for (std::size_t i = from; i < out.size(); ++i) {
    const char16_t c = out[i];
    if (c < 0xE5E5 || c > 0xE864) continue;
    for (const PuaFix& f : kGb18030Fixes) {
      if (f.icu == c) {
        out[i] = f.standard;
        break;
      }
    }
  }
}

bool is_gb18030(UConverter* conv) {
  UErrorCode err = U_ZERO_ERROR;
  const char* name = ucnv_getName(conv, &err);
  return U_SUCCESS(err) && name && ucnv_compareNames(name, "gb18030") == 0;
}
}  // namespace

UConverter* icu_open_decoder(const std::string& icu_name, std::string* error) {
  UErrorCode err = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(icu_name.c_str(), &err);
  if (U_FAILURE(err) || !conv) {
    if (conv) ucnv_close(conv);
    if (error) *error = u_errorName(err);
    return nullptr;
  }
  ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  return conv;
}

bool icu_decode(UConverter* conv, const char* data, std::size_t size, bool flush, bool fatal,
                std::u16string& out) {
  const UConverterType type = ucnv_getType(conv);
  // The Encoding Standard's multi-byte decoders (gb18030, Big5, EUC-JP, Shift_JIS, EUC-KR) give
  // an ASCII trail byte after a lead byte back to the input; ICU counts it as part of the
  // malformed pair. (Not for a cut-off sequence at the end, nor gb18030's four-byte ones;
  // ISO-2022-JP does not, and UTF-16BE has no such bytes.)
  const bool reprocess_ascii = type != UCNV_ISO_2022 && type != UCNV_UTF16_BigEndian &&
                               type != UCNV_UTF16_LittleEndian && type != UCNV_UTF16;
  const bool gb18030 = is_gb18030(conv);
  const std::size_t start = out.size();
  const char* src = data;
  const char* end = data + size;
  out.reserve(out.size() + size);
  UChar buf[4096];
  int stuck = 0;
  for (;;) {
    UChar* target = buf;
    UErrorCode err = U_ZERO_ERROR;
    const char* before = src;
    ucnv_toUnicode(conv, &target, buf + 4096, &src, end, nullptr, flush, &err);
    out.append(reinterpret_cast<char16_t*>(buf), static_cast<std::size_t>(target - buf));
    if (err == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_FAILURE(err)) {
      char bad[32];
      std::int8_t bad_len = sizeof bad;
      UErrorCode bad_err = U_ZERO_ERROR;
      ucnv_getInvalidChars(conv, bad, &bad_len, &bad_err);
      // The standard's gb18030 (and gbk) decoder maps the single byte 0x80 to the euro sign.
      if (gb18030 && U_SUCCESS(bad_err) && bad_len == 1 &&
          static_cast<unsigned char>(bad[0]) == 0x80) {
        out.push_back(u'\u20AC');
        continue;
      }
      if (fatal) {
        ucnv_resetToUnicode(conv);
        return false;
      }
      out.push_back(u'\uFFFD');
      if (reprocess_ascii && err != U_TRUNCATED_CHAR_FOUND && U_SUCCESS(bad_err) && bad_len == 2 &&
          static_cast<unsigned char>(bad[bad_len - 1]) < 0x80 && src > data &&
          src[-1] == bad[bad_len - 1]) {
        --src;
        continue;
      }
      // ICU may report several malformed sequences it holds before it consumes more input
      // (streaming); never spin when it reports nothing and makes no progress.
      if (src == before && target == buf && (bad_len <= 0 || ++stuck > 64)) break;
      continue;
    }
    break;
  }
  if (flush) ucnv_resetToUnicode(conv);
  if (gb18030) fix_gb18030(out, start);
  return true;
}

bool single_byte_decode(const char16_t (&table)[128], const std::uint8_t* data, std::size_t size,
                        bool fatal, std::u16string& out) {
  const std::size_t start = out.size();
  out.resize(start + size);
  char16_t* dst = out.data() + start;
  for (std::size_t i = 0; i < size; ++i) {
    const std::uint8_t b = data[i];
    if (b < 0x80) {
      dst[i] = b;
      continue;
    }
    char16_t c = table[b - 0x80];
    if (c == 0) {
      if (fatal) {
        out.resize(start);
        return false;
      }
      c = u'\uFFFD';
    }
    dst[i] = c;
  }
  return true;
}

}  // namespace zinnia::engine::web
