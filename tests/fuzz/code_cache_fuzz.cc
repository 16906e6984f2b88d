// Fuzzes the code cache file's decoder (engine/api/code_cache.h): the file is read from the
// cache folder at every start, so a damaged or hostile one must only ever be refused. Whatever
// the bytes: no crash; refused bytes leave no entries; accepted bytes re-encode to themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/api/code_cache.h"

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using zinnia::engine::CodeCache;
  const std::vector<std::uint8_t> bytes(data, data + size);
  std::vector<CodeCache::Bytes> entries;
  // The key the seeds were made with, and one they were not.
  for (const char* key : {"k", "zinnia 0.0.0; v8 10.2"}) {
    const std::string why = CodeCache::decode(key, bytes, entries);
    if (!why.empty()) {
      CHECK(entries.empty());
      continue;
    }
    CHECK(CodeCache::encode(key, entries) == bytes);
  }
  // A valid file around the input as one entry decodes back to it.
  const auto wrapped =
      CodeCache::encode("k", {nullptr, std::make_shared<const std::vector<std::uint8_t>>(bytes)});
  CHECK(CodeCache::decode("k", wrapped, entries).empty());
  CHECK(entries.size() == 2 && !entries[0] && *entries[1] == bytes);
  return 0;
}
