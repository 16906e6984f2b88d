#pragma once
// The WHATWG URL Standard's "domain to ASCII" (beStrict false) on ICU's UTS #46, for
// js/url.js's host parser (host.domainToASCII, install.cc). No V8 here, so it can be fuzzed
// (tests/fuzz/web_idna_fuzz.cc).
#include <optional>
#include <string>
#include <string_view>

namespace zinnia::engine::web {

// UTS #46 ToASCII with CheckHyphens=false, CheckBidi=true, CheckJoiners=true,
// UseSTD3ASCIIRules=false, Transitional_Processing=false and VerifyDnsLength=false, of a domain
// given as UTF-16 (lone surrogates are disallowed code points). nullopt where the standard says
// failure (a disallowed code point, bad Punycode, a Bidi or joiner rule broken, or an empty
// result); otherwise the ASCII domain, lowercased. The forbidden-domain-code-point check is the
// host parser's, not this. Throws std::runtime_error if ICU has no UTS #46 data.
std::optional<std::string> domain_to_ascii(std::u16string_view domain);

}  // namespace zinnia::engine::web
