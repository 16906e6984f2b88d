#include "engine/web/icu_decoder.h"

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
      // ICU consumes the bytes it reports; never spin if it did not.
      if (src == before && target == buf && ++stuck > 1) break;
      continue;
    }
    break;
  }
  if (flush) ucnv_resetToUnicode(conv);
  return true;
}

}  // namespace zinnia::engine::web
