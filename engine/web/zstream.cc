#include "engine/web/zstream.h"

namespace zinnia::engine::web {

Zstream::Zstream(const std::string& format, bool compress) : compress_(compress) {
  int bits = format == "gzip"          ? 15 + 16
             : format == "deflate"     ? 15
             : format == "deflate-raw" ? -15
                                       : 0;
  if (format == "brotli") {
    if (compress_)
      benc_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    else
      bdec_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    if (!benc_ && !bdec_) throw ZstreamError("brotli init failed");
    return;
  }
  if (bits == 0) throw std::invalid_argument("unsupported format " + format);
  int rc = compress_
               ? deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY)
               : inflateInit2(&z_, bits);
  // deflateEnd/inflateEnd refuse a stream whose init failed; nothing leaks.
  if (rc != Z_OK) throw ZstreamError("zlib init failed");
}

Zstream::~Zstream() {
  if (benc_)
    BrotliEncoderDestroyInstance(benc_);
  else if (bdec_)
    BrotliDecoderDestroyInstance(bdec_);
  else if (compress_)
    deflateEnd(&z_);
  else
    inflateEnd(&z_);
}

bool Zstream::push(const std::uint8_t* data, std::size_t size, bool finish,
                   std::vector<std::uint8_t>& out) {
  if (!compress_ && ended_ && size != 0)
    throw ZstreamError("DecompressionStream: extra data after the end of the compressed data");
  std::uint8_t buf[16384];
  bool trailing = false;
  if (benc_ || bdec_) {
    const std::uint8_t* next_in = data;
    std::size_t avail_in = size;
    for (;;) {
      std::uint8_t* next_out = buf;
      std::size_t avail_out = sizeof buf;
      if (benc_) {
        if (!BrotliEncoderCompressStream(
                benc_, finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS, &avail_in,
                &next_in, &avail_out, &next_out, nullptr))
          throw ZstreamError("CompressionStream: brotli encoder failed");
        out.insert(out.end(), buf, next_out);
        bool more = BrotliEncoderHasMoreOutput(benc_);
        if (finish ? BrotliEncoderIsFinished(benc_) : (avail_in == 0 && !more)) break;
      } else {
        auto rc = BrotliDecoderDecompressStream(bdec_, &avail_in, &next_in, &avail_out, &next_out,
                                                nullptr);
        out.insert(out.end(), buf, next_out);
        if (rc == BROTLI_DECODER_RESULT_ERROR)
          throw ZstreamError(std::string("DecompressionStream: corrupt brotli input (") +
                             BrotliDecoderErrorString(BrotliDecoderGetErrorCode(bdec_)) + ")");
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
          ended_ = true;
          trailing = avail_in != 0;
          break;
        }
        if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) break;
      }
    }
  } else {
    // zlib counts in uInt: feed a huge chunk in pieces.
    std::size_t left = size;
    const std::uint8_t* next = data;
    do {
      const std::size_t piece = left > 0x40000000u ? 0x40000000u : left;
      const bool last = piece == left;
      z_.next_in = const_cast<std::uint8_t*>(next);
      z_.avail_in = static_cast<uInt>(piece);
      for (;;) {
        z_.next_out = buf;
        z_.avail_out = sizeof buf;
        int rc;
        if (compress_) {
          rc = deflate(&z_, finish && last ? Z_FINISH : Z_NO_FLUSH);
          if (rc == Z_STREAM_ERROR) throw ZstreamError("CompressionStream: zlib deflate failed");
        } else {
          rc = inflate(&z_, Z_NO_FLUSH);
          if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
            throw ZstreamError(std::string("DecompressionStream: corrupt input (") +
                               (z_.msg ? z_.msg : "zlib error") + ")");
          if (rc == Z_STREAM_END) ended_ = true;
        }
        out.insert(out.end(), buf, buf + (sizeof buf - z_.avail_out));
        if (compress_) {
          if (finish && last ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
        } else {
          if (ended_) {
            trailing = z_.avail_in != 0;
            break;
          }
          if (z_.avail_in == 0 && z_.avail_out != 0) break;
          if (rc == Z_BUF_ERROR) break;
        }
      }
      next += piece;
      left -= piece;
    } while (left > 0 && !ended_);
    if (!compress_ && ended_ && left > 0) trailing = true;
  }
  if (!compress_ && finish && !ended_ && !trailing)
    throw ZstreamError("DecompressionStream: the compressed data ended early");
  return trailing;
}

}  // namespace zinnia::engine::web
