#include "engine/ipfs/multibase.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "util/multiformats.h"

namespace zinnia::ipfs {
namespace {

constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Text longer than this is not a CID or an IPNI field: refuse it before the quadratic
// big-number conversion.
constexpr std::size_t kMaxBigNumText = 4096;

int digit_of(char c, std::string_view alphabet, bool fold_case) {
  if (fold_case && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  auto pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

std::string quote(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned char>(c));
  return buf;
}

// Big-number base conversion (base36): leading zero digits are zero bytes.
Bytes decode_bignum(std::string_view text, std::string_view alphabet, bool fold_case,
                    const char* name) {
  if (text.size() > kMaxBigNumText) throw Error(std::string(name) + " text is too long");
  const std::uint32_t base = static_cast<std::uint32_t>(alphabet.size());
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == alphabet[0]) ++zeros;
  Bytes num;  // little-endian base-256
  for (std::size_t i = zeros; i < text.size(); ++i) {
    int d = digit_of(text[i], alphabet, fold_case);
    if (d < 0) throw Error(std::string("invalid ") + name + " character " + quote(text[i]));
    std::uint32_t carry = static_cast<std::uint32_t>(d);
    for (auto& byte : num) {
      carry += static_cast<std::uint32_t>(byte) * base;
      byte = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry) {
      num.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), num.rbegin(), num.rend());
  return out;
}

// RFC 4648 bit-group decoding (base32: 5 bits, base64: 6, base16: 4). Trailing bits that do
// not fill a byte must be zero.
Bytes decode_bits(std::string_view text, std::string_view alphabet, int bits, bool fold_case,
                  const char* name) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  Bytes out;
  out.reserve(text.size() * bits / 8);
  std::uint32_t acc = 0;
  int have = 0;
  for (char c : text) {
    int d = digit_of(c, alphabet, fold_case);
    if (d < 0) throw Error(std::string("invalid ") + name + " character " + quote(c));
    acc = (acc << bits) | static_cast<std::uint32_t>(d);
    have += bits;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> have) & 0xff));
    }
  }
  if (have >= bits || (acc & ((1u << have) - 1)) != 0)
    throw Error(std::string("invalid ") + name + " length or trailing bits");
  return out;
}

}  // namespace

std::string base32_encode(ByteView data) { return multiformats::base32_encode(data); }

Bytes base32_decode(std::string_view text) {
  if (text.find('=') != std::string_view::npos) throw Error("base32 must not be padded");
  return multiformats::base32_decode<Error>(text);
}

std::string base58btc_encode(ByteView data) { return multiformats::base58btc_encode(data); }

Bytes base58btc_decode(std::string_view text) {
  return multiformats::base58btc_decode<Error>(text);
}

Bytes base36_decode(std::string_view text) { return decode_bignum(text, kBase36, true, "base36"); }

Bytes base16_decode(std::string_view text) {
  return decode_bits(text, "0123456789abcdef", 4, true, "base16");
}

Bytes base64_decode(std::string_view text) {
  std::string normal(text);
  for (auto& c : normal) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return decode_bits(normal, kBase64, 6, false, "base64");
}

std::string base64_encode(ByteView data) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kBase64[(v >> s) & 63]);
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Bytes multibase_decode(std::string_view text) {
  if (text.empty()) throw Error("empty multibase string");
  std::string_view body = text.substr(1);
  switch (text[0]) {
    case 'b':
    case 'B':
      return base32_decode(body);
    case 'z':
      return base58btc_decode(body);
    case 'k':
    case 'K':
      return base36_decode(body);
    case 'f':
    case 'F':
      return base16_decode(body);
    case 'm':
    case 'u':
      if (body.find('=') != std::string_view::npos) throw Error("multibase base64 is unpadded");
      return base64_decode(body);
    default:
      throw Error("unsupported multibase prefix " + quote(text[0]));
  }
}

}  // namespace zinnia::ipfs
