#include "engine/ipfs/car.h"

#include <string>

#include "engine/ipfs/dag_cbor.h"
#include "engine/ipfs/varint.h"

namespace zinnia::ipfs {

void CarReader::feed(ByteView chunk) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  buf_.insert(buf_.end(), chunk.begin(), chunk.end());
  while (parse_one()) {
  }
  // Keep the unparsed tail at the front once most of the buffer is consumed.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
}

bool CarReader::parse_one() {
  ByteView rest(buf_.data() + pos_, buf_.size() - pos_);
  if (rest.empty()) return false;
  auto len = peek_varint(rest);
  if (!len) return false;
  const std::size_t limit = have_header_ ? kMaxBlockSize + 1024 : kMaxCarHeader;
  if (len->value > limit)
    throw Error(std::string(have_header_ ? "CAR section" : "CAR header") + " of " +
                std::to_string(len->value) + " bytes is too large");
  if (len->value == 0) throw Error(have_header_ ? "empty CAR section" : "empty CAR header");
  if (rest.size() - len->size < len->value) return false;
  ByteView body = rest.subspan(len->size, len->value);
  pos_ += len->size + len->value;
  if (!have_header_) {
    CborValue header;
    try {
      header = cbor_decode(body);
    } catch (const Error& e) {
      throw Error(std::string("bad CAR header: ") + e.what());
    }
    const CborValue* version = header.get("version");
    if (!version || version->kind != CborValue::kUint) throw Error("bad CAR header: no version");
    if (version->number != 1)
      throw Error("unsupported CAR version " + std::to_string(version->number));
    const CborValue* roots = header.get("roots");
    if (!roots || roots->kind != CborValue::kArray) throw Error("bad CAR header: no roots array");
    std::vector<Cid> cids;
    for (auto& r : roots->items) {
      try {
        cids.push_back(cbor_link(r));
      } catch (const Error& e) {
        throw Error(std::string("bad CAR header root: ") + e.what());
      }
    }
    have_header_ = true;
    on_header_(std::move(cids));
    return true;
  }
  Cid cid;
  try {
    cid = Cid::read(body);
  } catch (const Error& e) {
    throw Error(std::string("bad CID in CAR section: ") + e.what());
  }
  if (body.size() > kMaxBlockSize)
    throw Error("block " + cid.to_string() + " of " + std::to_string(body.size()) +
                " bytes is too large");
  ++blocks_;
  on_block_(cid, body);
  return true;
}

void CarReader::finish() const {
  if (!have_header_) throw Error("CAR ended before its header");
  if (pos_ != buf_.size())
    throw Error("CAR truncated inside a section (" + std::to_string(buf_.size() - pos_) +
                " bytes left over)");
}

Bytes car_header(const std::vector<Cid>& roots) {
  // {"roots": [tag42(...)], "version": 1}, keys in DAG-CBOR order (shorter first).
  Bytes h;
  h.push_back(0xa2);
  h.push_back(0x65);
  for (char c : std::string_view("roots")) h.push_back(static_cast<std::uint8_t>(c));
  auto head = [&h](int major, std::uint64_t n) {
    auto m = static_cast<std::uint8_t>(major << 5);
    if (n < 24) {
      h.push_back(static_cast<std::uint8_t>(m | n));
    } else if (n <= 0xff) {
      h.push_back(m | 24);
      h.push_back(static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
      h.push_back(m | 25);
      h.push_back(static_cast<std::uint8_t>(n >> 8));
      h.push_back(static_cast<std::uint8_t>(n));
    } else {
      h.push_back(m | 26);
      for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<std::uint8_t>(n >> s));
    }
  };
  head(4, roots.size());
  for (auto& r : roots) {
    Bytes b = r.bytes();
    h.push_back(0xd8);
    h.push_back(42);
    head(2, b.size() + 1);
    h.push_back(0);
    h.insert(h.end(), b.begin(), b.end());
  }
  h.push_back(0x67);
  for (char c : std::string_view("version")) h.push_back(static_cast<std::uint8_t>(c));
  h.push_back(0x01);
  Bytes out;
  write_varint(out, h.size());
  out.insert(out.end(), h.begin(), h.end());
  return out;
}

void car_section(Bytes& out, const Cid& cid, ByteView data) {
  Bytes b = cid.bytes();
  write_varint(out, b.size() + data.size());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace zinnia::ipfs
