// Retrieval over Bitswap 1.2.0 from js-libp2p nodes running @helia/bitswap
// (tests/peers/bitswap/provider.mjs), which serve the DAGs of tests/peers/ipfs/gateway.mjs:
// what the retriever passes on is compared byte for byte with the honest gateway's CAR (an
// independent depth-first walk in JS, repeats left out), so both protocols give the same CAR.
#include "engine/ipfs/bitswap.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/ipfs/varint.h"
#include "engine/libp2p/node.h"
#include "tests/ipfs/network.h"

namespace zinnia::ipfs::testing {
namespace {

class BitswapTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!peers_installed() || !bitswap_peers_installed()) return;
    net_ = new Network();
    peers_ = new BitswapPeers(*net_);
    node_ = new std::shared_ptr<libp2p::Node>(std::make_shared<libp2p::Node>());
  }
  static void TearDownTestSuite() {
    delete node_;
    delete peers_;
    delete net_;
    node_ = nullptr;
    peers_ = nullptr;
    net_ = nullptr;
  }
  void SetUp() override {
    ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
    ZINNIA_REQUIRE(bitswap_peers_installed(),
                   "tests/peers/bitswap is not installed (scripts/setup)");
    ASSERT_NE(peers_, nullptr);
  }
  static Network& net() { return *net_; }
  static const BitswapPeers& peers() { return *peers_; }
  static Options options() {
    Options o;
    std::shared_ptr<libp2p::Node> node = *node_;
    o.config.libp2p_node = [node] { return node; };
    o.config.provider_timeout = std::chrono::milliseconds(5000);
    return o;
  }
  // ipfs://<cid of name><rest>&protocols=bitswap&providers=<the modes' multiaddrs>
  static std::string url(const std::string& name, const std::string& rest,
                         const std::vector<std::string>& modes) {
    std::string u = "ipfs://" + net().cid(name) + rest;
    u += rest.find('?') == std::string::npos ? "?" : "&";
    u += "protocols=bitswap&providers=";
    for (std::size_t i = 0; i < modes.size(); ++i) u += (i ? "," : "") + peers().addr(modes[i]);
    return u;
  }
  // The honest gateway's CAR without repeats (what a retrieval passes on).
  static std::string expected(const std::string& name, const std::string& rest) {
    return net().gateway_car("dupsn", "/ipfs/" + net().cid(name) + rest);
  }
  static bool has(const std::vector<std::string>& dropped, const std::string& needle) {
    return std::any_of(dropped.begin(), dropped.end(),
                       [&](const std::string& d) { return d.find(needle) != std::string::npos; });
  }
  static Network* net_;
  static BitswapPeers* peers_;
  static std::shared_ptr<libp2p::Node>* node_;
};
Network* BitswapTest::net_ = nullptr;
BitswapPeers* BitswapTest::peers_ = nullptr;
std::shared_ptr<libp2p::Node>* BitswapTest::node_ = nullptr;

TEST_F(BitswapTest, EachDagScopeGivesTheGatewaysCar) {
  for (std::string rest : {"", "?dag-scope=entity", "?dag-scope=block"}) {
    for (std::string name : {"file", "dir", "cbor", "repeated", "hello"}) {
      SCOPED_TRACE(name + rest);
      Result r = retrieve(url(name, rest, {"good"}), options());
      ASSERT_EQ(r.status, 200) << r.message;
      EXPECT_TRUE(r.ended) << r.error;
      EXPECT_TRUE(r.dropped.empty()) << r.dropped[0];
      EXPECT_CAR(r.car, expected(name, rest));
      EXPECT_EQ(r.calls_after_over, 0);
    }
  }
  // The whole file: raw leaves under dag-pb nodes, rebuilt in order.
  Result r = retrieve(url("file", "", {"good"}), options());
  CarContent car = read_car(r.car);
  EXPECT_GT(car.blocks.size(), 20u);
  std::string rebuilt;
  for (auto& [cid, data] : car.blocks)
    if (cid.codec == codec::kRaw) rebuilt += data;
  EXPECT_EQ(rebuilt, net().raw("file"));
}

TEST_F(BitswapTest, PathsAndEntityBytes) {
  for (auto [name, rest] : std::vector<std::pair<std::string, std::string>>{
           {"dir", "/sub/small.bin"},
           {"dir", "/hello.txt?dag-scope=block"},
           {"shard16", "/file-42.txt"},  // through HAMT shards
           {"shard", "/inner/deep.txt?dag-scope=entity"}}) {
    SCOPED_TRACE(name + rest);
    Result r = retrieve(url(name, rest, {"good"}), options());
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    EXPECT_CAR(r.car, expected(name, rest));
  }
  std::string q = "?dag-scope=entity&entity-bytes=70000:140000";
  Result r = retrieve(url("file", q, {"good"}), options());
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_CAR(r.car, expected("file", q));
  EXPECT_LT(r.car.size(), 400'000u);
}

TEST_F(BitswapTest, AWrongBlockDropsTheProviderAndTheNextServes) {
  Result r = retrieve(url("file", "", {"wrongblock", "good"}), options());
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended) << r.error;
  EXPECT_CAR(r.car, expected("file", ""));
  ASSERT_EQ(r.dropped.size(), 1u);
  EXPECT_NE(r.dropped[0].find(peers().addr("wrongblock") + ": sent block "), std::string::npos)
      << r.dropped[0];
  EXPECT_TRUE(has(r.dropped, "none of the blocks asked for")) << r.dropped[0];

  // The liar alone: its root is right (passed on), then the body errors.
  Result alone = retrieve(url("file", "", {"wrongblock"}), options());
  EXPECT_EQ(alone.status, 200) << alone.message;
  EXPECT_FALSE(alone.ended);
  EXPECT_NE(alone.error.find("retrieving " + net().cid("file") + ": every provider failed (1)"),
            std::string::npos)
      << alone.error;
  EXPECT_EQ(expected("file", "").rfind(alone.car, 0), 0u) << "a verified prefix";
}

TEST_F(BitswapTest, ABlockSentTwiceIsARepeatNotALie) {
  for (std::string rest : {"", "?dag-scope=entity", "/sub/small.bin"}) {
    std::string name = rest == "/sub/small.bin" ? "dir" : "file";
    SCOPED_TRACE(name + rest);
    Result r = retrieve(url(name, rest, {"twice"}), options());
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    EXPECT_TRUE(r.dropped.empty()) << r.dropped[0];
    EXPECT_CAR(r.car, expected(name, rest));
  }
}

TEST_F(BitswapTest, DontHaveMovesOnAndAloneGives502) {
  Result r = retrieve(url("small", "", {"empty", "good"}), options());
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended) << r.error;
  EXPECT_CAR(r.car, expected("small", ""));
  EXPECT_TRUE(has(r.dropped, "it does not have block " + net().cid("small") + " (DONT_HAVE)"))
      << (r.dropped.empty() ? "" : r.dropped[0]);

  Result none = retrieve(url("small", "", {"empty"}), options());
  EXPECT_EQ(none.status, 502) << none.message;
  EXPECT_NE(none.message.find("every provider failed (1); last: " + peers().addr("empty") +
                              ": it does not have block"),
            std::string::npos)
      << none.message;
}

TEST_F(BitswapTest, UnreachableOrUnsupportedProviders) {
  // A refused dial, then a wrong peer id: each fails naming the cause, the good one serves.
  // A node of its own, with no connection to the good peer yet to reuse.
  Options fresh = options();
  auto own = std::make_shared<libp2p::Node>();
  fresh.config.libp2p_node = [own] { return own; };
  std::string good = peers().addr("good");
  std::string refused = "/ip4/127.0.0.1/tcp/1" + good.substr(good.find("/p2p/"));
  std::string wrong_id =
      good.substr(0, good.find("/p2p/")) + "/p2p/" + net().info()["peerId"].get<std::string>();
  Result r = retrieve("ipfs://" + net().cid("small") + "?protocols=bitswap&providers=" + refused +
                          "," + wrong_id + "," + good,
                      fresh);
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended) << r.error;
  ASSERT_EQ(r.dropped.size(), 2u);
  EXPECT_NE(r.dropped[0].find("dial failed"), std::string::npos) << r.dropped[0];
  EXPECT_NE(r.dropped[1].find("peer id mismatch"), std::string::npos) << r.dropped[1];

  // As SPARK asks: graphsync is not supported, bitswap serves the block.
  Result spark = retrieve("ipfs://" + net().cid("file") +
                              "?dag-scope=block&protocols=graphsync,bitswap,http&providers=" + good,
                          options());
  ASSERT_EQ(spark.status, 200) << spark.message;
  EXPECT_CAR(spark.car, expected("file", "?dag-scope=block"));
  EXPECT_TRUE(has(spark.dropped, "protocol graphsync is not supported")) << spark.dropped.size();

  // No libp2p node configured: not supported.
  Result no_node = retrieve(url("small", "", {"good"}));
  EXPECT_EQ(no_node.status, 502);
  EXPECT_NE(no_node.message.find("protocol bitswap is not supported (no libp2p node)"),
            std::string::npos)
      << no_node.message;
}

TEST_F(BitswapTest, ASilentPeerTimesOut) {
  Options o = options();
  o.config.provider_timeout = std::chrono::milliseconds(400);
  Result moved = retrieve(url("small", "", {"silent", "good"}), o);
  ASSERT_EQ(moved.status, 200) << moved.message;
  EXPECT_TRUE(moved.ended) << moved.error;
  EXPECT_CAR(moved.car, expected("small", ""));
  EXPECT_TRUE(has(moved.dropped, "no data for 400 ms (provider timeout)"));

  Result alone = retrieve(url("small", "", {"silent"}), o);
  EXPECT_EQ(alone.status, 504) << alone.message;

  o.config.global_timeout = std::chrono::milliseconds(300);
  Result global = retrieve(url("small", "", {"silent"}), o);
  EXPECT_EQ(global.status, 504) << global.message;
  EXPECT_NE(global.message.find("timed out after 300 ms"), std::string::npos) << global.message;
}

TEST_F(BitswapTest, ProvidersFromIpni) {
  // The indexer lists the good peer by id, a WebSocket address first (not dialled), then TCP.
  std::string good = peers().addr("good");
  std::string id = good.substr(good.find("/p2p/") + 5);
  std::string tcp = good.substr(0, good.find("/p2p/"));
  net().routes(
      {{net().cid("small"), {{{"bitswap", id}, {"addrs", {"/ip4/127.0.0.1/tcp/1/ws", tcp}}}}}});
  Options o = options();
  o.config.ipni_url = net().ipni_url();
  Result r = retrieve("ipfs://" + net().cid("small") + "?protocols=bitswap", o);
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended) << r.error;
  EXPECT_TRUE(r.dropped.empty()) << r.dropped[0];
  EXPECT_CAR(r.car, expected("small", ""));
}

TEST_F(BitswapTest, CancelMidBodyAndAPausingReader) {
  Options cancel = options();
  cancel.cancel_after_bytes = 200'000;
  Result r = retrieve(url("file", "", {"good"}), cancel);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.ended);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_GE(r.car.size(), 200'000u);
  EXPECT_LT(r.car.size(), expected("file", "").size());
  EXPECT_EQ(r.calls_after_over, 0);

  // A reader that pauses on every chunk still gets the whole CAR, and the node carries on.
  Options pause = options();
  pause.pause_each = true;
  Result p = retrieve(url("file", "", {"good"}), pause);
  ASSERT_EQ(p.status, 200) << p.message;
  EXPECT_TRUE(p.ended) << p.error;
  EXPECT_CAR(p.car, expected("file", ""));
}

TEST_F(BitswapTest, ManyRetrievalsFromOnePeerAtOnce) {
  std::vector<std::string> urls;
  for (int i = 0; i < 6; ++i)
    urls.push_back(url(i % 2 ? "file" : "dir", i % 3 ? "" : "?dag-scope=entity", {"good"}));
  auto results = retrieve_all(urls, options());
  for (std::size_t i = 0; i < urls.size(); ++i) {
    SCOPED_TRACE(urls[i]);
    ASSERT_EQ(results[i].status, 200) << results[i].message;
    EXPECT_TRUE(results[i].ended) << results[i].error;
    EXPECT_CAR(results[i].car, expected(i % 2 ? "file" : "dir", i % 3 ? "" : "?dag-scope=entity"));
  }
}

TEST(BitswapCodec, WantlistAndMessages) {
  Cid cid = Cid::of(codec::kRaw, as_bytes("block"));
  Bytes framed = bitswap::encode_wantlist({{.cid = cid}}, false);
  bitswap::Framer f;
  // A byte at a time.
  std::optional<Bytes> msg;
  for (std::uint8_t b : framed) {
    f.feed(ByteView(&b, 1));
    if (auto m = f.next()) msg = std::move(m);
  }
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(msg->size() + 1, framed.size());
  // Message{wantlist{entries{block=cid, priority=1, wantType=Block, sendDontHave=true}}}
  Bytes cid_bytes = cid.bytes();
  Bytes entry = {0x0a, static_cast<std::uint8_t>(cid_bytes.size())};
  entry.insert(entry.end(), cid_bytes.begin(), cid_bytes.end());
  entry.insert(entry.end(), {0x10, 0x01, 0x28, 0x01});
  Bytes want = {0x0a, static_cast<std::uint8_t>(entry.size() + 2), 0x0a,
                static_cast<std::uint8_t>(entry.size())};
  want.insert(want.end(), entry.begin(), entry.end());
  EXPECT_EQ(*msg, want);

  // A payload block and a DONT_HAVE, as @helia/bitswap sends them.
  Bytes m = {0x1a, 0x0b, 0x0a, 0x04, 0x01, 0x55, 0x12, 0x20, 0x12, 0x03, 'a', 'b', 'c'};
  Bytes presence = {0x0a, static_cast<std::uint8_t>(cid_bytes.size())};
  presence.insert(presence.end(), cid_bytes.begin(), cid_bytes.end());
  presence.insert(presence.end(), {0x10, 0x01});
  m.push_back(0x22);
  m.push_back(static_cast<std::uint8_t>(presence.size()));
  m.insert(m.end(), presence.begin(), presence.end());
  bitswap::Message d = bitswap::decode_message(m);
  ASSERT_EQ(d.blocks.size(), 1u);
  EXPECT_EQ(d.blocks[0].cid.to_string(), Cid::of(codec::kRaw, as_bytes("abc")).to_string());
  ASSERT_EQ(d.presences.size(), 1u);
  EXPECT_FALSE(d.presences[0].have);
  EXPECT_EQ(d.presences[0].cid.to_string(), cid.to_string());

  // Bad input names what is wrong.
  Bytes no_prefix = {0x1a, 0x05, 0x12, 0x03, 'a', 'b', 'c'};
  EXPECT_THROW(
      {
        try {
          bitswap::decode_message(no_prefix);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("a block without a prefix"), std::string::npos);
          throw;
        }
      },
      Error);
  Bytes blake = {0x1a, 0x0b, 0x0a, 0x04, 0x01, 0x55, 0xa0, 0x01, 0x12, 0x03, 'a', 'b', 'c'};
  EXPECT_THROW(bitswap::decode_message(blake), Error);
  bitswap::Framer big;
  Bytes huge_len;
  write_varint(huge_len, bitswap::kMaxMessage + 1);
  big.feed(huge_len);
  EXPECT_THROW(big.next(), Error);
}

}  // namespace
}  // namespace zinnia::ipfs::testing
