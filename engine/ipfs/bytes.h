#pragma once
// Shared vocabulary of the IPFS library: byte buffers and the one error type every codec
// throws on bad input (its message names what was wrong).
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zinnia::ipfs {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace zinnia::ipfs
