#include "engine/ipfs/dag_cbor.h"

#include <cmath>
#include <cstring>

namespace zinnia::ipfs {
namespace {

class Decoder {
 public:
  explicit Decoder(ByteView in) : in_(in) {}

  CborValue item(int depth) {
    if (depth > kMaxCborDepth) throw Error("CBOR nested too deeply");
    std::uint8_t ib = byte();
    int major = ib >> 5;
    std::uint8_t info = ib & 31;
    CborValue v;
    if (major == 7) {
      if (info < 24) {
        v.kind = CborValue::kSimple;
        v.number = info;
      } else if (info == 24) {
        v.kind = CborValue::kSimple;
        v.number = byte();
      } else if (info >= 25 && info <= 27) {
        v.kind = CborValue::kFloat;
        v.real = read_float(info);
      } else {
        throw Error("unsupported CBOR simple/break item (indefinite lengths are not DAG-CBOR)");
      }
      return v;
    }
    std::uint64_t arg = argument(info);
    switch (major) {
      case 0:
        v.kind = CborValue::kUint;
        v.number = arg;
        break;
      case 1:
        v.kind = CborValue::kNegative;
        v.number = arg;
        break;
      case 2:
      case 3:
        v.kind = major == 2 ? CborValue::kBytes : CborValue::kText;
        need(arg);
        v.text.assign(reinterpret_cast<const char*>(in_.data() + pos_), arg);
        pos_ += arg;
        break;
      case 4:
      case 5: {
        v.kind = major == 4 ? CborValue::kArray : CborValue::kMap;
        std::uint64_t n = major == 4 ? arg : arg * 2;
        if (major == 5 && arg > (in_.size() - pos_)) throw Error("CBOR map longer than its input");
        // Every item takes at least one byte: a count past the input is a lie.
        if (n > in_.size() - pos_) throw Error("CBOR container longer than its input");
        v.items.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) v.items.push_back(item(depth + 1));
        break;
      }
      case 6:
        v.kind = CborValue::kTag;
        v.number = arg;
        v.items.push_back(item(depth + 1));
        break;
    }
    return v;
  }

  // Walks one item without building it, collecting tag-42 links: memory stays that of the
  // links whatever the block holds.
  void walk(int depth, std::vector<Cid>& links) {
    if (depth > kMaxCborDepth) throw Error("CBOR nested too deeply");
    std::uint8_t ib = byte();
    int major = ib >> 5;
    std::uint8_t info = ib & 31;
    if (major == 7) {
      if (info == 24) {
        byte();
      } else if (info >= 25 && info <= 27) {
        read_float(info);
      } else if (info > 27) {
        throw Error("unsupported CBOR simple/break item (indefinite lengths are not DAG-CBOR)");
      }
      return;
    }
    std::uint64_t arg = argument(info);
    switch (major) {
      case 2:
      case 3:
        need(arg);
        pos_ += arg;
        break;
      case 4:
      case 5: {
        if (arg > in_.size() - pos_) throw Error("CBOR container longer than its input");
        std::uint64_t n = major == 4 ? arg : arg * 2;
        for (std::uint64_t i = 0; i < n; ++i) walk(depth + 1, links);
        break;
      }
      case 6:
        if (arg == 42) {
          need(1);
          if ((in_[pos_] >> 5) != 2)
            throw Error("a DAG-CBOR link (tag 42) must hold a byte string");
          CborValue content = item(depth + 1);
          CborValue tag;
          tag.kind = CborValue::kTag;
          tag.number = 42;
          tag.items.push_back(std::move(content));
          links.push_back(cbor_link(tag));
        } else {
          walk(depth + 1, links);
        }
        break;
      default:
        break;
    }
  }

  bool at_end() const { return pos_ == in_.size(); }
  std::size_t position() const { return pos_; }

 private:
  std::uint8_t byte() {
    need(1);
    return in_[pos_++];
  }
  void need(std::uint64_t n) {
    if (n > in_.size() - pos_) throw Error("truncated CBOR");
  }
  std::uint64_t be(int n) {
    need(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }
  std::uint64_t argument(std::uint8_t info) {
    if (info < 24) return info;
    switch (info) {
      case 24:
        return be(1);
      case 25:
        return be(2);
      case 26:
        return be(4);
      case 27:
        return be(8);
      default:
        throw Error("unsupported CBOR length (indefinite lengths are not DAG-CBOR)");
    }
  }
  double read_float(std::uint8_t info) {
    if (info == 25) {
      auto h = static_cast<std::uint16_t>(be(2));
      int exp = (h >> 10) & 0x1f;
      int mant = h & 0x3ff;
      double val;
      if (exp == 0)
        val = std::ldexp(mant, -24);
      else if (exp != 31)
        val = std::ldexp(mant + 1024, exp - 25);
      else
        val = mant == 0 ? INFINITY : NAN;
      return (h & 0x8000) ? -val : val;
    }
    if (info == 26) {
      auto bits = static_cast<std::uint32_t>(be(4));
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    std::uint64_t bits = be(8);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }

  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace

const CborValue* CborValue::get(std::string_view key) const {
  if (kind != kMap) return nullptr;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2)
    if (items[i].kind == kText && items[i].text == key) return &items[i + 1];
  return nullptr;
}

CborValue cbor_decode(ByteView in) {
  Decoder d(in);
  CborValue v = d.item(0);
  if (!d.at_end()) throw Error("trailing bytes after CBOR item");
  return v;
}

Cid cbor_link(const CborValue& tag) {
  if (tag.kind != CborValue::kTag || tag.number != 42 || tag.items.size() != 1)
    throw Error("not a DAG-CBOR link");
  const CborValue& content = tag.items[0];
  if (content.kind != CborValue::kBytes || content.text.empty() || content.text[0] != 0)
    throw Error("a DAG-CBOR link (tag 42) must hold 0x00 and a binary CID");
  try {
    return Cid::decode(as_bytes(content.text).subspan(1));
  } catch (const Error& e) {
    throw Error(std::string("bad DAG-CBOR link: ") + e.what());
  }
}

std::vector<Cid> dag_cbor_links(ByteView block) {
  std::vector<Cid> out;
  Decoder d(block);
  d.walk(0, out);
  if (!d.at_end()) throw Error("trailing bytes after DAG-CBOR block");
  return out;
}

}  // namespace zinnia::ipfs

namespace zinnia::ipfs {

std::size_t cbor_item_size(ByteView in) {
  Decoder d(in);
  std::vector<Cid> links;
  d.walk(0, links);
  return d.position();
}

}  // namespace zinnia::ipfs
