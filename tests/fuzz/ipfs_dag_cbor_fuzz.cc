// Fuzzes the DAG-CBOR reader (links, whole items, item sizes) and DAG-JSON link extraction.
// No crash; the item size of a whole item is the input's size.
#include <cstddef>
#include <cstdint>

#include "engine/ipfs/dag_cbor.h"
#include "engine/ipfs/dag_json.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  bool whole = false;
  try {
    dag_cbor_links(in);
    whole = true;
  } catch (const Error&) {
  }
  try {
    std::size_t n = cbor_item_size(in);
    CHECK(n <= size);
    if (whole) CHECK(n == size);
  } catch (const Error&) {
    CHECK(!whole);
  }
  if (size < 64 * 1024) {
    try {
      cbor_decode(in);
    } catch (const Error&) {
    }
  }
  try {
    dag_json_links(in);
  } catch (const Error&) {
  }
  return 0;
}
