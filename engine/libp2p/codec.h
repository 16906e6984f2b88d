#pragma once
// Byte-level codecs shared by the libp2p wire formats: unsigned varints, base58btc, base32
// (RFC 4648, lower case, no padding: multibase 'b') and a minimal protobuf reader/writer.
//
// Why a hand-written protobuf codec (docs/libp2p.md): the three messages we exchange (the
// public key, the Noise handshake payload, identify) use four field kinds; the Debian
// runtime would add protoc to the build and a shared library to the daemon for ~150 lines.
// Every decoder here takes outside input, so each one is fuzzed (tests/fuzz/libp2p_*).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zinnia::libp2p {

using Bytes = std::vector<std::uint8_t>;

// Malformed outside input: the message names what is wrong.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline std::string_view as_chars(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline void append(Bytes& out, const Bytes& in) { out.insert(out.end(), in.begin(), in.end()); }
inline void append(Bytes& out, std::string_view in) { out.insert(out.end(), in.begin(), in.end()); }

void put_uvarint(Bytes& out, std::uint64_t v);
// Decodes a varint at data[0..size): nullopt when more bytes are needed; throws DecodeError
// when it runs past 9 bytes or is not minimally encoded (multiformats' unsigned-varint rules).
// On success *used is the number of bytes consumed.
std::optional<std::uint64_t> get_uvarint(const std::uint8_t* data, std::size_t size,
                                         std::size_t* used);

std::string base58btc_encode(const std::uint8_t* data, std::size_t size);
inline std::string base58btc_encode(const Bytes& b) { return base58btc_encode(b.data(), b.size()); }
Bytes base58btc_decode(std::string_view text);  // throws DecodeError

std::string base32_encode(const Bytes& b);   // lower case, no padding
Bytes base32_decode(std::string_view text);  // either case, no padding; throws DecodeError

std::string hex(const std::uint8_t* data, std::size_t size);

// --- protobuf (proto2/proto3 wire format: varint and length-delimited fields only) -------------
namespace pb {

enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

class Writer {
 public:
  void varint(std::uint32_t field, std::uint64_t v);
  void bytes(std::uint32_t field, const std::uint8_t* data, std::size_t size);
  void bytes(std::uint32_t field, const Bytes& b) { bytes(field, b.data(), b.size()); }
  void string(std::uint32_t field, std::string_view s) {
    bytes(field, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

struct Field {
  std::uint32_t number = 0;
  WireType type = kVarint;
  std::uint64_t varint = 0;            // kVarint, kFixed64, kFixed32
  const std::uint8_t* data = nullptr;  // kLen: the payload (points into the reader's input)
  std::size_t size = 0;
  Bytes bytes() const { return Bytes(data, data + size); }
  std::string string() const { return std::string(reinterpret_cast<const char*>(data), size); }
};

// Iterates the fields of one message; unknown fields are the caller's to skip. Throws
// DecodeError on a truncated field, a field number of 0, or a group wire type.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  explicit Reader(const Bytes& b) : Reader(b.data(), b.size()) {}
  bool next(Field& f);

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace pb
}  // namespace zinnia::libp2p

namespace zinnia::libp2p {

// A FIFO of bytes read from the network: append at the back, consume from the front without
// moving the rest each time.
class Buffer {
 public:
  void append(const std::uint8_t* p, std::size_t n) {
    if (off_ > 0 && off_ == data_.size()) {
      data_.clear();
      off_ = 0;
    }
    data_.insert(data_.end(), p, p + n);
  }
  void append(const Bytes& b) { append(b.data(), b.size()); }
  const std::uint8_t* data() const { return data_.data() + off_; }
  std::size_t size() const { return data_.size() - off_; }
  bool empty() const { return size() == 0; }
  void consume(std::size_t n) {
    off_ += n;
    if (off_ == data_.size()) {
      data_.clear();
      off_ = 0;
    } else if (off_ > 65536 && off_ * 2 > data_.size()) {
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(off_));
      off_ = 0;
    }
  }
  Bytes take_all() {
    Bytes out(data(), data() + size());
    data_.clear();
    off_ = 0;
    return out;
  }

 private:
  Bytes data_;
  std::size_t off_ = 0;
};

}  // namespace zinnia::libp2p
