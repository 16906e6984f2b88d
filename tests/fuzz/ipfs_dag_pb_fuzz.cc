// Fuzzes DAG-PB and UnixFS decoding, and the traversal's handling of a node (entity,
// entity-bytes and path steps) with the input as the root block. No crash, no hang.
#include <cstddef>
#include <cstdint>

#include "engine/ipfs/dag_pb.h"
#include "engine/ipfs/traversal.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView block(data, size);
  try {
    PbNode node = decode_dag_pb(block);
    if (node.data) {
      try {
        UnixFsData fs = decode_unixfs(*node.data);
        CHECK(fs.type <= UnixFsData::kHamtShard);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  Cid root = Cid::of(codec::kDagPb, block);
  for (int mode = 0; mode < 4; ++mode) {
    Selector s;
    s.scope = Scope::kEntity;
    if (mode == 1) s.bytes = ByteRange{size % 7 ? 3 : -5, std::nullopt};
    if (mode == 2) s.path = {"a", "b"};
    if (mode == 3) s.scope = Scope::kAll;
    Traversal t(root, s);
    try {
      CHECK(t.accept(root, block));
      t.frontier();
    } catch (const Error&) {
    }
  }
  return 0;
}
