#pragma once
// CARv1 (ipld/specs transport/car/carv1): an incremental reader that parses sections as bytes
// arrive, and a writer.
#include <cstddef>
#include <functional>
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::ipfs {

constexpr std::size_t kMaxCarHeader = 64 * 1024;
// A block larger than this is refused (Bitswap's own limit is 2 MiB).
constexpr std::size_t kMaxBlockSize = 4 * 1024 * 1024;

class CarReader {
 public:
  using OnHeader = std::function<void(std::vector<Cid> roots)>;
  using OnBlock = std::function<void(const Cid& cid, ByteView data)>;
  CarReader(OnHeader on_header, OnBlock on_block)
      : on_header_(std::move(on_header)), on_block_(std::move(on_block)) {}

  // Parses what `chunk` completes; the callbacks run before feed returns. Throws Error (or
  // whatever a callback throws); the reader is unusable afterwards.
  void feed(ByteView chunk);
  // The input ended: throws Error unless it ended after the header, between two sections.
  void finish() const;
  std::size_t blocks() const { return blocks_; }
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  bool parse_one();

  OnHeader on_header_;
  OnBlock on_block_;
  Bytes buf_;
  std::size_t pos_ = 0;
  bool have_header_ = false;
  std::size_t blocks_ = 0;
};

// CARv1 bytes, one piece at a time.
Bytes car_header(const std::vector<Cid>& roots);
void car_section(Bytes& out, const Cid& cid, ByteView data);

}  // namespace zinnia::ipfs
