#include "engine/libp2p/codec.h"

#include <array>

namespace zinnia::libp2p {

void put_uvarint(Bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::optional<std::uint64_t> get_uvarint(const std::uint8_t* data, std::size_t size,
                                         std::size_t* used) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (i == 9) throw DecodeError("varint longer than 9 bytes");
    const std::uint8_t b = data[i];
    v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0) throw DecodeError("varint not minimally encoded");
      *used = i + 1;
      return v;
    }
  }
  return std::nullopt;
}

namespace {
constexpr char kB58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char kB32[] = "abcdefghijklmnopqrstuvwxyz234567";
}  // namespace

std::string base58btc_encode(const std::uint8_t* data, std::size_t size) {
  std::size_t zeros = 0;
  while (zeros < size && data[zeros] == 0) ++zeros;
  std::vector<std::uint8_t> digits;  // base 58, little end first
  digits.reserve(size * 138 / 100 + 1);
  for (std::size_t i = zeros; i < size; ++i) {
    unsigned carry = data[i];
    for (auto& d : digits) {
      carry += static_cast<unsigned>(d) << 8;
      d = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry) {
      digits.push_back(static_cast<std::uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kB58[*it]);
  return out;
}

Bytes base58btc_decode(std::string_view text) {
  std::array<int, 256> map;
  map.fill(-1);
  for (int i = 0; i < 58; ++i) map[static_cast<unsigned char>(kB58[i])] = i;
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  Bytes bytes;  // base 256, little end first
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const int v = map[static_cast<unsigned char>(text[i])];
    if (v < 0) throw DecodeError("invalid base58btc character '" + std::string(1, text[i]) + "'");
    unsigned carry = static_cast<unsigned>(v);
    for (auto& b : bytes) {
      carry += static_cast<unsigned>(b) * 58;
      b = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry) {
      bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

std::string base32_encode(const Bytes& b) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (std::uint8_t c : b) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kB32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kB32[(buffer << (5 - bits)) & 31]);
  return out;
}

Bytes base32_decode(std::string_view text) {
  Bytes out;
  unsigned buffer = 0;
  int bits = 0;
  for (char ch : text) {
    int v;
    if (ch >= 'a' && ch <= 'z')
      v = ch - 'a';
    else if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= '2' && ch <= '7')
      v = ch - '2' + 26;
    else
      throw DecodeError("invalid base32 character '" + std::string(1, ch) + "'");
    buffer = ((buffer << 5) | static_cast<unsigned>(v)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return out;
}

std::string hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

namespace pb {

void Writer::varint(std::uint32_t field, std::uint64_t v) {
  put_uvarint(out_, (static_cast<std::uint64_t>(field) << 3) | kVarint);
  put_uvarint(out_, v);
}

void Writer::bytes(std::uint32_t field, const std::uint8_t* data, std::size_t size) {
  put_uvarint(out_, (static_cast<std::uint64_t>(field) << 3) | kLen);
  put_uvarint(out_, size);
  out_.insert(out_.end(), data, data + size);
}

namespace {
// Protobuf varints may be up to 10 bytes and need not be minimal (unlike multiformats').
std::uint64_t read_varint(const std::uint8_t*& p, const std::uint8_t* end) {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (p == end) throw DecodeError("protobuf: truncated varint");
    const std::uint8_t b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return v;
  }
  throw DecodeError("protobuf: varint longer than 10 bytes");
}
}  // namespace

bool Reader::next(Field& f) {
  if (p_ == end_) return false;
  const std::uint64_t key = read_varint(p_, end_);
  const std::uint64_t number = key >> 3;
  if (number == 0 || number > 0x1fffffff) throw DecodeError("protobuf: invalid field number");
  f.number = static_cast<std::uint32_t>(number);
  f.data = nullptr;
  f.size = 0;
  f.varint = 0;
  switch (key & 7) {
    case kVarint:
      f.type = kVarint;
      f.varint = read_varint(p_, end_);
      return true;
    case kFixed64:
    case kFixed32: {
      const std::size_t n = (key & 7) == kFixed64 ? 8 : 4;
      if (static_cast<std::size_t>(end_ - p_) < n) throw DecodeError("protobuf: truncated fixed");
      f.type = static_cast<WireType>(key & 7);
      for (std::size_t i = 0; i < n; ++i) f.varint |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
      p_ += n;
      return true;
    }
    case kLen: {
      const std::uint64_t len = read_varint(p_, end_);
      if (len > static_cast<std::uint64_t>(end_ - p_))
        throw DecodeError("protobuf: length-delimited field runs past the message");
      f.type = kLen;
      f.data = p_;
      f.size = static_cast<std::size_t>(len);
      p_ += len;
      return true;
    }
    default:
      throw DecodeError("protobuf: unsupported wire type " + std::to_string(key & 7));
  }
}

}  // namespace pb
}  // namespace zinnia::libp2p
