#pragma once
// The compression streams' codec (CompressionStream / DecompressionStream, zlib.cc): gzip,
// deflate and deflate-raw on zlib, brotli on libbrotli. No V8 here, so it can be fuzzed
// (tests/fuzz/web_zstream_fuzz.cc).
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace zinnia::engine::web {

// Corrupt or truncated input, or a codec failure; the message names which.
struct ZstreamError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Zstream {
 public:
  // format: "gzip", "deflate", "deflate-raw" or "brotli". Throws std::invalid_argument for
  // another format, ZstreamError when the codec cannot start.
  Zstream(const std::string& format, bool compress);
  ~Zstream();
  Zstream(const Zstream&) = delete;
  Zstream& operator=(const Zstream&) = delete;

  // Feeds `size` bytes (finish: the last of them) and appends what comes out to `out`. Returns
  // true when input went on past the end of the compressed data (the output before it is
  // still appended). Throws ZstreamError on corrupt input, on data after the end, and (finish)
  // when the compressed data is cut short.
  bool push(const std::uint8_t* data, std::size_t size, bool finish,
            std::vector<std::uint8_t>& out);

  bool compress() const { return compress_; }

 private:
  z_stream z_{};
  BrotliEncoderState* benc_ = nullptr;  // brotli: one of these two, and no z_stream
  BrotliDecoderState* bdec_ = nullptr;
  bool compress_ = false;
  bool ended_ = false;  // the compressed data's end was seen (decompression)
};

}  // namespace zinnia::engine::web
