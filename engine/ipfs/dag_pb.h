#pragma once
// DAG-PB (ipld/specs codecs/dag-pb) and the UnixFS Data message inside it (ipfs/specs UNIXFS).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::ipfs {

struct PbLink {
  Cid hash;
  std::optional<std::string> name;
  std::optional<std::uint64_t> tsize;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<Bytes> data;
};

// Throws Error on anything that is not a protobuf PBNode.
PbNode decode_dag_pb(ByteView block);

struct UnixFsData {
  enum Type : std::uint64_t {
    kRaw = 0,
    kDirectory = 1,
    kFile = 2,
    kMetadata = 3,
    kSymlink = 4,
    kHamtShard = 5
  };
  std::uint64_t type = kRaw;
  Bytes data;
  std::optional<std::uint64_t> filesize;
  std::vector<std::uint64_t> blocksizes;
  std::optional<std::uint64_t> hash_type;  // a HAMT shard's: 0x22, murmur3-x64-64
  std::optional<std::uint64_t> fanout;
};

// Throws Error on a malformed message or an unknown type.
UnixFsData decode_unixfs(ByteView data);

}  // namespace zinnia::ipfs
