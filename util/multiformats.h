#pragma once
// The multiformats byte codecs that libp2p (peer ids, multiaddrs, frames) and IPFS (CIDs,
// CARs) both speak: unsigned varints, base32 (RFC 4648 lower case, unpadded) and base58btc.
// One implementation for both libraries; each throws its own error type, given as `E`
// (constructible from a std::string).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zinnia::multiformats {

struct Varint {
  std::uint64_t value;
  std::size_t size;  // bytes consumed
};

// The varint at the start of `in` (LEB128, minimal, at most 9 bytes = 63 bits); nullopt when
// `in` ends inside it. Throws E on an overlong or non-minimal encoding.
template <class E>
std::optional<Varint> peek_varint(std::span<const std::uint8_t> in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i == 9) throw E("varint longer than 9 bytes");
    const std::uint8_t b = in[i];
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0) throw E("varint is not minimally encoded");
      return Varint{value, i + 1};
    }
  }
  if (in.size() >= 9) throw E("varint longer than 9 bytes");
  return std::nullopt;
}

inline void write_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

namespace detail {

inline constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";
inline constexpr std::string_view kBase58 =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
// Longer text is no peer id, CID or index field: refused before the quadratic conversion.
inline constexpr std::size_t kMaxBase58Text = 4096;

inline std::string quote(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string("0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace detail

inline std::string base32_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int have = 0;
  for (auto b : data) {
    acc = (acc << 8) | b;
    have += 8;
    while (have >= 5) {
      have -= 5;
      out.push_back(detail::kBase32[(acc >> have) & 31]);
    }
  }
  if (have > 0) out.push_back(detail::kBase32[(acc << (5 - have)) & 31]);
  return out;
}

// Either case, unpadded; trailing bits that do not fill a byte must be zero. Throws E.
template <class E>
std::vector<std::uint8_t> base32_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t acc = 0;
  int have = 0;
  for (char c : text) {
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    const auto d = detail::kBase32.find(lower);
    if (d == std::string_view::npos) throw E("invalid base32 character " + detail::quote(c));
    acc = ((acc << 5) | static_cast<std::uint32_t>(d)) & 0xfff;
    have += 5;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> have) & 0xff));
    }
  }
  if (have >= 5 || (acc & ((1u << have) - 1)) != 0)
    throw E("invalid base32 length or trailing bits");
  return out;
}

inline std::string base58btc_encode(std::span<const std::uint8_t> data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  std::vector<std::uint8_t> digits;  // little-endian base-58
  digits.reserve(data.size() * 138 / 100 + 1);
  for (std::size_t i = zeros; i < data.size(); ++i) {
    std::uint32_t carry = data[i];
    for (auto& d : digits) {
      carry += static_cast<std::uint32_t>(d) << 8;
      d = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry) {
      digits.push_back(static_cast<std::uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(detail::kBase58[*it]);
  return out;
}

// Leading '1's are zero bytes. Throws E.
template <class E>
std::vector<std::uint8_t> base58btc_decode(std::string_view text) {
  if (text.size() > detail::kMaxBase58Text) throw E("base58btc text is too long");
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::vector<std::uint8_t> num;  // little-endian base-256
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const auto d = detail::kBase58.find(text[i]);
    if (d == std::string_view::npos)
      throw E("invalid base58btc character " + detail::quote(text[i]));
    auto carry = static_cast<std::uint32_t>(d);
    for (auto& byte : num) {
      carry += static_cast<std::uint32_t>(byte) * 58;
      byte = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry) {
      num.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::vector<std::uint8_t> out(zeros, 0);
  out.insert(out.end(), num.rbegin(), num.rend());
  return out;
}

}  // namespace zinnia::multiformats
