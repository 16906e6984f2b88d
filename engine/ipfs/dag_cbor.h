#pragma once
// A small DAG-CBOR reader: enough to read a CAR header and to find every link (tag 42) of a
// block for traversal. Definite lengths only (DAG-CBOR forbids the others); nesting is bounded.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::ipfs {

struct CborValue {
  enum Kind { kUint, kNegative, kBytes, kText, kArray, kMap, kTag, kSimple, kFloat } kind = kUint;
  std::uint64_t number = 0;      // kUint/kNegative (-1 - number)/kTag/kSimple
  double real = 0;               // kFloat
  std::string text;              // kBytes/kText
  std::vector<CborValue> items;  // kArray; kMap: key, value, key, value...; kTag: content

  const CborValue* get(std::string_view key) const;  // a kMap's kText key
};

constexpr int kMaxCborDepth = 128;

// Decodes exactly one item filling `in`. Throws Error.
CborValue cbor_decode(ByteView in);
// The CID links of a DAG-CBOR block, in document order (depth-first). Throws Error.
std::vector<Cid> dag_cbor_links(ByteView block);
// The size of the one CBOR item at the start of `in`. Throws Error.
std::size_t cbor_item_size(ByteView in);
// A tag-42 item's CID.
Cid cbor_link(const CborValue& tag);

}  // namespace zinnia::ipfs
