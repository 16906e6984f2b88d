#include "engine/libp2p/codec.h"

#include <array>

#include "util/multiformats.h"

namespace zinnia::libp2p {

void put_uvarint(Bytes& out, std::uint64_t v) { multiformats::write_varint(out, v); }

std::optional<std::uint64_t> get_uvarint(const std::uint8_t* data, std::size_t size,
                                         std::size_t* used) {
  auto v = multiformats::peek_varint<DecodeError>({data, size});
  if (!v) return std::nullopt;
  *used = v->size;
  return v->value;
}

std::string base58btc_encode(const std::uint8_t* data, std::size_t size) {
  return multiformats::base58btc_encode({data, size});
}

Bytes base58btc_decode(std::string_view text) {
  return multiformats::base58btc_decode<DecodeError>(text);
}

std::string base32_encode(const Bytes& b) { return multiformats::base32_encode(b); }

Bytes base32_decode(std::string_view text) {
  return multiformats::base32_decode<DecodeError>(text);
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
