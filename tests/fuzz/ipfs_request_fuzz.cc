// Fuzzes what comes from outside the DAG: ipfs:// URLs with their parameters and provider
// multiaddrs, and IPNI answers. No crash; a parsed request names a gateway path under /ipfs/.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/ipfs/ipni.h"
#include "engine/ipfs/request.h"

using namespace zinnia::ipfs;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    RetrievalRequest r = parse_ipfs_url(text);
    CHECK(r.gateway_path().rfind("/ipfs/", 0) == 0);
    for (auto& p : r.providers)
      if (p.protocol == Protocol::kHttp) CHECK(p.http_base.rfind("http", 0) == 0);
  } catch (const Error&) {
  }
  try {
    parse_provider(text, Protocol::kHttp);
  } catch (const Error&) {
  }
  try {
    RetrievalRequest any = parse_ipfs_url("ipfs://bafkqaaa");
    for (auto& p : parse_ipni_response(text, any)) CHECK(!p.address.empty());
  } catch (const Error&) {
  }
  ipni_metadata_protocols(ByteView(data, size));
  return 0;
}
