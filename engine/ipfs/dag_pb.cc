#include "engine/ipfs/dag_pb.h"

#include <string>

#include "engine/ipfs/varint.h"

namespace zinnia::ipfs {
namespace {

// One protobuf field: its number, wire type and payload (varint value or bytes).
struct Field {
  std::uint64_t number;
  int wire;
  std::uint64_t value = 0;
  ByteView bytes;
};

Field read_field(ByteView& in, const char* message) {
  std::uint64_t key = read_varint(in, message);
  Field f{key >> 3, static_cast<int>(key & 7), 0, {}};
  if (f.number == 0) throw Error(std::string(message) + ": field number 0");
  switch (f.wire) {
    case 0:
      f.value = read_varint(in, message);
      break;
    case 2: {
      std::uint64_t len = read_varint(in, message);
      if (len > in.size()) throw Error(std::string(message) + ": truncated field");
      f.bytes = in.subspan(0, len);
      in = in.subspan(len);
      break;
    }
    case 1:
      if (in.size() < 8) throw Error(std::string(message) + ": truncated field");
      in = in.subspan(8);
      break;
    case 5:
      if (in.size() < 4) throw Error(std::string(message) + ": truncated field");
      in = in.subspan(4);
      break;
    default:
      throw Error(std::string(message) + ": unsupported wire type " + std::to_string(f.wire));
  }
  return f;
}

PbLink decode_link(ByteView in) {
  PbLink link;
  bool have_hash = false;
  while (!in.empty()) {
    Field f = read_field(in, "dag-pb link");
    if (f.number == 1 && f.wire == 2) {
      try {
        link.hash = Cid::decode(f.bytes);
      } catch (const Error& e) {
        throw Error(std::string("dag-pb link: bad Hash: ") + e.what());
      }
      have_hash = true;
    } else if (f.number == 2 && f.wire == 2) {
      link.name = std::string(as_chars(f.bytes));
    } else if (f.number == 3 && f.wire == 0) {
      link.tsize = f.value;
    } else {
      throw Error("dag-pb link: unexpected field " + std::to_string(f.number));
    }
  }
  if (!have_hash) throw Error("dag-pb link without a Hash");
  return link;
}

}  // namespace

PbNode decode_dag_pb(ByteView block) {
  PbNode node;
  while (!block.empty()) {
    Field f = read_field(block, "dag-pb node");
    if (f.number == 2 && f.wire == 2) {
      node.links.push_back(decode_link(f.bytes));
    } else if (f.number == 1 && f.wire == 2) {
      if (node.data) throw Error("dag-pb node: Data appears twice");
      node.data = Bytes(f.bytes.begin(), f.bytes.end());
    } else {
      throw Error("dag-pb node: unexpected field " + std::to_string(f.number));
    }
  }
  return node;
}

UnixFsData decode_unixfs(ByteView in) {
  UnixFsData d;
  bool have_type = false;
  while (!in.empty()) {
    Field f = read_field(in, "UnixFS data");
    switch (f.number) {
      case 1:
        if (f.wire != 0) throw Error("UnixFS data: Type is not a varint");
        if (f.value > UnixFsData::kHamtShard)
          throw Error("UnixFS data: unknown type " + std::to_string(f.value));
        d.type = f.value;
        have_type = true;
        break;
      case 2:
        if (f.wire != 2) throw Error("UnixFS data: Data is not bytes");
        d.data.assign(f.bytes.begin(), f.bytes.end());
        break;
      case 3:
        if (f.wire != 0) throw Error("UnixFS data: filesize is not a varint");
        d.filesize = f.value;
        break;
      case 4:
        if (f.wire == 0) {
          d.blocksizes.push_back(f.value);
        } else if (f.wire == 2) {  // packed
          ByteView packed = f.bytes;
          while (!packed.empty()) d.blocksizes.push_back(read_varint(packed, "UnixFS blocksizes"));
        } else {
          throw Error("UnixFS data: bad blocksizes");
        }
        break;
      case 5:
        if (f.wire == 0) d.hash_type = f.value;
        break;
      case 6:
        if (f.wire == 0) d.fanout = f.value;
        break;
      default:
        break;  // mode, mtime: not needed to traverse
    }
  }
  if (!have_type) throw Error("UnixFS data without a Type");
  return d;
}

}  // namespace zinnia::ipfs
