#pragma once
// The verifier of a retrieval: walks the DAG that the request selects (path, dag-scope,
// entity-bytes) depth-first, as the provider's CAR arrives, and accepts each block only if it
// hashes to its CID and is the next block that walk needs. Only the walk's frontier and the
// keys of blocks already seen are kept.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::ipfs {

enum class Scope { kAll, kEntity, kBlock };
const char* scope_name(Scope s);

// entity-bytes=from:to, `to` inclusive; negative values count from the end; no `to` is "*".
struct ByteRange {
  std::int64_t from = 0;
  std::optional<std::int64_t> to;
  std::string to_string() const;
};

struct Selector {
  std::vector<std::string> path;  // UnixFS path segments below the root
  Scope scope = Scope::kAll;
  std::optional<ByteRange> bytes;
};

class Traversal {
 public:
  Traversal(Cid root, Selector selector);

  // Verifies the next block of a CAR. Returns true when the block is new to this walk (to be
  // passed on), false for a repeat of one already accepted. Throws Error when the block does
  // not hash to its CID, is not the block the walk needs next, or cannot be decoded.
  bool accept(const Cid& cid, ByteView data);
  // The CAR ended: throws Error naming the first missing block unless the walk is complete.
  void finish();
  bool complete();
  // The next blocks the walk needs, at most `n` distinct, the very next first (what a
  // Bitswap retrieval asks for ahead). Each must still be passed to accept() in walk order.
  std::vector<Cid> upcoming(std::size_t n);
  // Whether a block of this content was accepted already.
  bool seen(const Cid& cid) const { return seen_.count(cid.key()) > 0; }
  std::size_t frontier() const { return stack_.size(); }

 private:
  enum class Mode { kPath, kTerminal, kAll, kFile, kBytes, kShard };
  struct Pending {
    Cid cid;
    Mode mode;
    std::uint32_t path_index = 0;
    std::uint32_t shard_depth = 0;   // kPath through a HAMT: the level of this shard node
    std::uint64_t from = 0, to = 0;  // kBytes: inclusive range within this node's file bytes
  };
  void process(const Pending& p, ByteView data);
  void push_links(const std::vector<Cid>& links, Mode mode);
  void drop_satisfied();

  Selector selector_;
  std::vector<Pending> stack_;  // top = back = the next block expected
  std::unordered_set<std::string> seen_;
};

}  // namespace zinnia::ipfs
