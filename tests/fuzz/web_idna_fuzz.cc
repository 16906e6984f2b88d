// Fuzzes the URL Standard's domain to ASCII on ICU's UTS #46 (engine/web/idna.cc), which
// js/url.js's host parser calls for every non-ASCII or "xn--" host. The first byte picks how the
// rest becomes UTF-16: as UTF-8 (bad bytes become U+FFFD) or as raw little-endian code units
// (lone surrogates included). Whatever the input: the call ends; a result is non-empty ASCII
// with no uppercase letter and is its own domain to ASCII; and an ASCII domain with no "xn--"
// label gives its ASCII lowercasing, the shortcut url.js takes without calling ICU.
#include <unicode/ustring.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/web/idna.h"

using zinnia::engine::web::domain_to_ascii;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace {
bool needs_uts46(const std::u16string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= 0x80) return true;
    if ((i == 0 || s[i - 1] == u'.') && s.size() - i >= 4) {
      auto lower = [](char16_t c) { return c >= u'A' && c <= u'Z' ? c + 32 : c; };
      if (lower(s[i]) == u'x' && lower(s[i + 1]) == u'n' && s[i + 2] == u'-' && s[i + 3] == u'-')
        return true;
    }
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 4096) return 0;
  std::u16string domain;
  if (data[0] & 1) {
    for (std::size_t i = 1; i + 1 < size; i += 2)
      domain.push_back(static_cast<char16_t>(data[i] | (data[i + 1] << 8)));
  } else {
    domain.resize(size);
    std::int32_t n = 0;
    UErrorCode err = U_ZERO_ERROR;
    u_strFromUTF8WithSub(reinterpret_cast<UChar*>(domain.data()),
                         static_cast<std::int32_t>(domain.size()), &n,
                         reinterpret_cast<const char*>(data + 1),
                         static_cast<std::int32_t>(size - 1), 0xFFFD, nullptr, &err);
    CHECK(U_SUCCESS(err));
    domain.resize(static_cast<std::size_t>(n));
  }
  const auto ascii = domain_to_ascii(domain);
  if (!needs_uts46(domain)) {
    std::string lower;
    for (char16_t c : domain)
      lower.push_back(static_cast<char>(c >= u'A' && c <= u'Z' ? c + 32 : c));
    CHECK(domain.empty() ? !ascii : ascii && *ascii == lower);
  }
  if (!ascii) return 0;
  CHECK(!ascii->empty());
  for (char c : *ascii) CHECK(static_cast<unsigned char>(c) < 0x80 && !(c >= 'A' && c <= 'Z'));
  const auto again = domain_to_ascii(std::u16string(ascii->begin(), ascii->end()));
  CHECK(again && *again == *ascii);
  return 0;
}
