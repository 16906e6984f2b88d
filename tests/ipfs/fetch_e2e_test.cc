// fetch("ipfs://...") end to end: a module under `zinnia run` against the loopback network
// (tests/peers/ipfs/gateway.mjs). The CARs it reads are checked against the honest gateway's.
#include <openssl/sha.h>

#include <fstream>

#include "tests/ipfs/network.h"
#include "tests/support/temp_dir.h"

namespace zinnia::ipfs::testing {
namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

TEST(FetchIpfs, FromAModuleUnderZinniaRun) {
  ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
  Network net;
  net.routes({{net.cid("small"), {{{"mode", "good"}}}}});
  nlohmann::json n;
  n["cids"] = net.info()["cids"];
  n["peerId"] = net.info()["peerId"];
  for (std::string mode : {"good", "wrongblock", "slow", "truncated"})
    n["addr"][mode] = net.addr(mode);
  std::ifstream fixture(std::string(ZINNIA_SOURCE_DIR) + "/tests/ipfs/fixtures/fetch_ipfs.js");
  std::string source((std::istreambuf_iterator<char>(fixture)), std::istreambuf_iterator<char>());
  zinnia::testing::TempDir dir;
  std::string main = (dir.path() / "main.js").string();
  std::ofstream(main) << "const NET = " << n.dump() << ";\n" << source;

  auto env = zinnia::testing::current_env();
  env["ZINNIA_IPNI_URL"] = net.ipni_url();
  env["ZINNIA_IPFS_PROVIDER_TIMEOUT_MS"] = "500";
  env["NO_COLOR"] = "1";
  zinnia::testing::Process zinnia({zinnia::testing::bin("zinnia").string(), "run", main}, env);
  ASSERT_EQ(zinnia.wait(std::chrono::seconds(60)), 0) << zinnia.err();
  std::string line = zinnia.out();
  auto start = line.find('{');
  ASSERT_NE(start, std::string::npos) << line << zinnia.err();
  auto out = nlohmann::json::parse(line.substr(start, line.find('\n', start) - start));

  std::string file_sha = sha256_hex(net.gateway_car("good", "/ipfs/" + net.cid("file")));
  EXPECT_EQ(out["status"], 200);
  EXPECT_EQ(out["type"], "application/vnd.ipld.car; version=1");
  EXPECT_EQ(out["url"].get<std::string>().rfind("ipfs://" + net.cid("file") + "?providers=", 0),
            0u);
  EXPECT_EQ(out["sha"], file_sha);
  EXPECT_EQ(out["streamSha"], file_sha);
  EXPECT_EQ(out["blockSha"],
            sha256_hex(net.gateway_car("good", "/ipfs/" + net.cid("file") + "?dag-scope=block")));
  EXPECT_EQ(out["graphsync"][0], 502);
  EXPECT_NE(out["graphsync"][1].get<std::string>().find("protocol graphsync is not supported"),
            std::string::npos);
  EXPECT_EQ(out["ipni"][0], 200);
  EXPECT_EQ(out["ipni"][1], net.gateway_car("good", "/ipfs/" + net.cid("small")).size());
  EXPECT_EQ(out["absent"][0], 404);
  EXPECT_NE(out["absent"][1].get<std::string>().find(net.cid("absent")), std::string::npos);
  EXPECT_EQ(out["bad"][0], 400);
  EXPECT_NE(out["bad"][1].get<std::string>().find("invalid CID"), std::string::npos);
  EXPECT_EQ(out["slow"], 504);
  EXPECT_EQ(out["auth"],
            "TypeError: fetch: an Authorization header is not allowed for ipfs:// URLs");
  EXPECT_EQ(out["abort"], "AbortError");
  EXPECT_NE(out["truncated"].get<std::string>().find("retrieving " + net.cid("file") +
                                                     ": every provider failed"),
            std::string::npos)
      << out["truncated"];
  ASSERT_EQ(out["concurrent"].size(), 10u);
  for (auto& sha : out["concurrent"]) EXPECT_EQ(sha, file_sha);
}

TEST(FetchIpfs, OverBitswapFromAModule) {
  ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
  ZINNIA_REQUIRE(bitswap_peers_installed(), "tests/peers/bitswap is not installed (scripts/setup)");
  Network net;
  BitswapPeers peers(net);
  nlohmann::json n;
  n["cids"] = net.info()["cids"];
  for (std::string mode : {"good", "wrongblock", "empty"}) n["peers"][mode] = peers.addr(mode);
  std::ifstream fixture(std::string(ZINNIA_SOURCE_DIR) +
                        "/tests/ipfs/fixtures/fetch_ipfs_bitswap.js");
  std::string source((std::istreambuf_iterator<char>(fixture)), std::istreambuf_iterator<char>());
  zinnia::testing::TempDir dir;
  std::string main = (dir.path() / "main.js").string();
  std::ofstream(main) << "const NET = " << n.dump() << ";\n" << source;

  auto env = zinnia::testing::current_env();
  env["ZINNIA_IPFS_PROVIDER_TIMEOUT_MS"] = "5000";
  env["NO_COLOR"] = "1";
  zinnia::testing::Process zinnia({zinnia::testing::bin("zinnia").string(), "run", main}, env);
  ASSERT_EQ(zinnia.wait(std::chrono::seconds(60)), 0) << zinnia.err();
  std::string line = zinnia.out();
  auto start = line.find('{');
  ASSERT_NE(start, std::string::npos) << line << zinnia.err();
  auto out = nlohmann::json::parse(line.substr(start, line.find('\n', start) - start));

  // Repeats left out, as every retrieval passes blocks on.
  auto car = [&](const std::string& q) {
    return sha256_hex(net.gateway_car("dupsn", "/ipfs/" + net.cid("file") + q));
  };
  EXPECT_EQ(out["status"], 200);
  EXPECT_EQ(out["type"], "application/vnd.ipld.car; version=1");
  EXPECT_EQ(out["sha"], car(""));
  EXPECT_EQ(out["streamSha"], car("?dag-scope=entity"));
  EXPECT_EQ(out["block"][0], 200);
  EXPECT_EQ(out["block"][1], car("?dag-scope=block"));
  EXPECT_EQ(out["dontHave"][0], 502);
  EXPECT_NE(out["dontHave"][1].get<std::string>().find("(DONT_HAVE)"), std::string::npos)
      << out["dontHave"];
  EXPECT_EQ(out["abort"], "AbortError");
  EXPECT_EQ(out["peerId"].get<std::string>().rfind("12D3KooW", 0), 0u);
}

}  // namespace
}  // namespace zinnia::ipfs::testing
