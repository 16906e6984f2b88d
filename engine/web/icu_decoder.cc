#include "engine/web/icu_decoder.h"

#include <cstdint>

namespace zinnia::engine::web {

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
      if (fatal) {
        ucnv_resetToUnicode(conv);
        return false;
      }
      out.push_back(u'\uFFFD');
      char bad[32];
      std::int8_t bad_len = sizeof bad;
      UErrorCode bad_err = U_ZERO_ERROR;
      ucnv_getInvalidChars(conv, bad, &bad_len, &bad_err);
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
  return true;
}

}  // namespace zinnia::engine::web
