#include "engine/web/idna.h"

#include <unicode/uidna.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace zinnia::engine::web {
namespace {

// ICU's UTS #46 object is immutable and safe to share between threads (every isolate's).
const UIDNA* uts46() {
  static const UIDNA* const idna = [] {
    UErrorCode err = U_ZERO_ERROR;
    UIDNA* p = uidna_openUTS46(
        UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII, &err);
    if (U_FAILURE(err) || !p)
      throw std::runtime_error(std::string("ICU uidna_openUTS46 failed: ") + u_errorName(err));
    return p;
  }();
  return idna;
}

// ICU always applies the hyphen rules and the DNS length limits; the URL Standard turns
// CheckHyphens and VerifyDnsLength off, so those errors do not count.
constexpr std::uint32_t kIgnored = UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG |
                                   UIDNA_ERROR_DOMAIN_NAME_TOO_LONG | UIDNA_ERROR_LEADING_HYPHEN |
                                   UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4;

}  // namespace

std::optional<std::string> domain_to_ascii(std::u16string_view domain) {
  if (domain.size() > INT32_MAX / 4) return std::nullopt;
  const auto* src = reinterpret_cast<const UChar*>(domain.data());
  const auto len = static_cast<std::int32_t>(domain.size());
  // Mapping can lengthen a domain (e.g. U+FDFA becomes 18 letters), Punycode too: retry once
  // with the size ICU asks for.
  std::vector<UChar> dest(domain.size() + 64);
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode err = U_ZERO_ERROR;
  std::int32_t n = uidna_nameToASCII(uts46(), src, len, dest.data(),
                                     static_cast<std::int32_t>(dest.size()), &info, &err);
  if (err == U_BUFFER_OVERFLOW_ERROR) {
    dest.resize(static_cast<std::size_t>(n));
    info = UIDNA_INFO_INITIALIZER;
    err = U_ZERO_ERROR;
    n = uidna_nameToASCII(uts46(), src, len, dest.data(), static_cast<std::int32_t>(dest.size()),
                          &info, &err);
  }
  if (U_FAILURE(err) || (info.errors & ~kIgnored) != 0 || n <= 0) return std::nullopt;
  std::string out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    // Without errors ToASCII gives ASCII only; anything else is a failure, not a crash.
    if (dest[static_cast<std::size_t>(i)] >= 0x80) return std::nullopt;
    out.push_back(static_cast<char>(dest[static_cast<std::size_t>(i)]));
  }
  return out;
}

}  // namespace zinnia::engine::web
