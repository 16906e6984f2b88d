// Retrieval of ipfs:// URLs from the loopback network of tests/peers/ipfs/gateway.mjs: real
// CARs made by @ipld/car, gateways that lie, an IPNI stand-in. What the retriever passes on is
// compared byte for byte with what the honest gateway (an independent traversal in JS) serves.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "engine/ipfs/service.h"
#include "tests/ipfs/network.h"
#include "tests/support/eventually.h"

namespace zinnia::ipfs::testing {
namespace {

class RetrievalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!peers_installed()) return;
    net_ = new Network();
  }
  static void TearDownTestSuite() {
    delete net_;
    net_ = nullptr;
  }
  void SetUp() override {
    ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
    ASSERT_NE(net_, nullptr);
  }
  static Network& net() { return *net_; }
  static bool has(const std::vector<std::string>& dropped, const std::string& needle) {
    return std::any_of(dropped.begin(), dropped.end(),
                       [&](const std::string& d) { return d.find(needle) != std::string::npos; });
  }
  static Network* net_;
};
Network* RetrievalTest::net_ = nullptr;

TEST_F(RetrievalTest, ScopeAllMatchesTheGatewaysCarAndRebuildsTheFile) {
  Result r = retrieve(net().url("file", "", {"good"}));
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended) << r.error;
  EXPECT_CAR(r.car, net().gateway_car("good", "/ipfs/" + net().cid("file") + "?dag-scope=all"));
  // The raw leaves, in order, are the file.
  CarContent car = read_car(r.car);
  ASSERT_EQ(car.roots.size(), 1u);
  EXPECT_EQ(car.roots[0].to_string(), net().cid("file"));
  std::string rebuilt;
  for (auto& [cid, data] : car.blocks)
    if (cid.codec == codec::kRaw) rebuilt += data;
  EXPECT_EQ(rebuilt, net().raw("file"));
  EXPECT_GT(car.blocks.size(), 20u);  // a tree of dag-pb nodes over raw leaves
  EXPECT_EQ(r.calls_after_over, 0);
}

TEST_F(RetrievalTest, EachDagScope) {
  struct Case {
    std::string name, query;
    std::size_t blocks;
  };
  for (const Case& c : {Case{"dir", "dag-scope=block", 1}, Case{"dir", "dag-scope=entity", 1},
                        Case{"dir", "dag-scope=all", 0}, Case{"file", "dag-scope=entity", 0},
                        Case{"file", "dag-scope=block", 1}, Case{"cbor", "dag-scope=all", 0},
                        Case{"cbor", "dag-scope=entity", 1}, Case{"raw", "", 1}}) {
    SCOPED_TRACE(c.name + "?" + c.query);
    Result r = retrieve(net().url(c.name, "?" + c.query, {"good"}));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    std::string expected = net().gateway_car("good", "/ipfs/" + net().cid(c.name) + "?" + c.query);
    EXPECT_CAR(r.car, expected);
    if (c.blocks) {
      EXPECT_EQ(read_car(r.car).blocks.size(), c.blocks);
    }
  }
  // dag-scope=all over dag-cbor follows its links into the UnixFS directory.
  EXPECT_GT(read_car(retrieve(net().url("cbor", "", {"good"})).car).blocks.size(), 5u);
}

TEST_F(RetrievalTest, PathsThroughUnixFsDirectories) {
  for (std::string path : {"/hello.txt", "/sub", "/sub/small.bin"}) {
    SCOPED_TRACE(path);
    Result r = retrieve(net().url("dir", path, {"good"}));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    EXPECT_CAR(r.car, net().gateway_car("good", "/ipfs/" + net().cid("dir") + path));
  }
  Result missing = retrieve(net().url("dir", "/nope.txt", {"good"}));
  EXPECT_EQ(missing.status, 502);
  EXPECT_NE(missing.message.find("HTTP 404"), std::string::npos) << missing.message;
}

TEST_F(RetrievalTest, PathsThroughHamtShardedDirectories) {
  // Directories made by ipfs-unixfs-importer, resolved on the gateway's side by
  // ipfs-unixfs-exporter: fanout 256 (600 entries: some buckets hold sub-shards) and 16
  // (sub-shards several levels down), with a plain directory inside.
  for (std::string name : {"shard", "shard16"}) {
    for (std::string path :
         {"/file-0.txt", "/file-42.txt", "/file-79.txt", "/inner/deep.txt", "/inner"}) {
      for (std::string q : {"", "?dag-scope=block", "?dag-scope=entity"}) {
        SCOPED_TRACE(name + path + q);
        Result r = retrieve(net().url(name, path + q, {"good"}));
        ASSERT_EQ(r.status, 200) << r.message;
        EXPECT_TRUE(r.ended) << r.error;
        EXPECT_CAR(r.car, net().gateway_car("good", "/ipfs/" + net().cid(name) + path + q));
      }
    }
  }
  // Sub-shards were crossed: the path to some entry of the fanout-16 directory has more than
  // the root shard and the entry.
  std::size_t deepest = 0;
  for (int i = 0; i < 80; i += 7) {
    std::string path = "/file-" + std::to_string(i) + ".txt?dag-scope=block";
    Result r = retrieve(net().url("shard16", path, {"good"}));
    ASSERT_EQ(r.status, 200) << path << ": " << r.message;
    deepest = std::max(deepest, read_car(r.car).blocks.size());
  }
  EXPECT_GE(deepest, 3u);
  // A name in no bucket: the walk itself names the shard and the bucket.
  std::string root_car =
      net().gateway_car("good", "/ipfs/" + net().cid("shard16") + "?dag-scope=block");
  CarContent root = read_car(root_car);
  ASSERT_EQ(root.blocks.size(), 1u);
  Traversal t(root.blocks[0].first, Selector{{"no-such-file"}, Scope::kAll, std::nullopt});
  try {
    t.accept(root.blocks[0].first, as_bytes(root.blocks[0].second));
    t.upcoming(1);  // a sub-shard may be next: not an error yet
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(HAMT shard, bucket "), std::string::npos) << e.what();
  }
  // The whole sharded directory is still walked as a directory.
  Result all = retrieve(net().url("shard", "", {"good"}));
  ASSERT_EQ(all.status, 200) << all.message;
  EXPECT_CAR(all.car, net().gateway_car("good", "/ipfs/" + net().cid("shard")));
}

TEST_F(RetrievalTest, EntityBytesSelectsTheLeavesOfARange) {
  for (std::string range : {"0:999", "70000:140000", "1000000:*", "-100:*", "0:-1", "5:5"}) {
    SCOPED_TRACE(range);
    std::string q = "?dag-scope=entity&entity-bytes=" + range;
    Result r = retrieve(net().url("file", q, {"good"}));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    std::string expected = net().gateway_car("good", "/ipfs/" + net().cid("file") + q);
    EXPECT_CAR(r.car, expected);
  }
  // A narrow range is far less than the file.
  Result narrow = retrieve(net().url("file", "?dag-scope=entity&entity-bytes=0:999", {"good"}));
  EXPECT_LT(narrow.car.size(), 100'000u);
}

TEST_F(RetrievalTest, RepeatedBlocksArePassedOnOnceWhateverTheProviderSends) {
  std::string dedup = net().gateway_car("dupsn", "/ipfs/" + net().cid("repeated"));
  std::string with_dups = net().gateway_car("good", "/ipfs/" + net().cid("repeated"));
  ASSERT_GT(with_dups.size(), dedup.size());  // the honest gateway repeats the chunk (dups=y)
  for (std::string mode : {"good", "dupsn"}) {
    Result r = retrieve(net().url("repeated", "", {mode}));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended);
    EXPECT_CAR(r.car, dedup) << mode;
  }
}

TEST_F(RetrievalTest, ALyingGatewayIsDroppedAndTheNextServes) {
  std::string expected = net().gateway_car("good", "/ipfs/" + net().cid("file"));
  struct Case {
    std::string mode, reason;
  };
  for (const Case& c : {Case{"wrongblock", "does not hash to"}, Case{"extra", "unexpected block"},
                        Case{"truncated", ""}, Case{"wrongroot", "the CAR's root is"},
                        Case{"missing", "unexpected block"}, Case{"status500", "HTTP 500"},
                        Case{"status404", "HTTP 404"}}) {
    SCOPED_TRACE(c.mode);
    Result r = retrieve(net().url("file", "", {c.mode, "good"}));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_TRUE(r.ended) << r.error;
    EXPECT_CAR(r.car, expected);
    ASSERT_EQ(r.dropped.size(), 1u);
    EXPECT_TRUE(has(r.dropped, c.reason)) << r.dropped[0];
    EXPECT_TRUE(has(r.dropped, std::to_string(net().port(c.mode)))) << r.dropped[0];
  }
}

TEST_F(RetrievalTest, EveryProviderFailing502NamesTheCidAndTheLastCause) {
  Result r = retrieve(net().url("file", "?dag-scope=block", {"status500", "wrongroot"}));
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.message.find(net().cid("file")), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("the CAR's root is"), std::string::npos) << r.message;
  EXPECT_TRUE(r.car.empty());
  EXPECT_EQ(r.dropped.size(), 2u);
}

TEST_F(RetrievalTest, AFailureAfterTheFirstBytesErrorsTheBody) {
  // The truncated gateway gets some blocks through before it breaks; nobody else serves.
  Result r = retrieve(net().url("file", "", {"truncated"}));
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_FALSE(r.ended);
  EXPECT_NE(r.error.find(net().cid("file")), std::string::npos) << r.error;
  EXPECT_FALSE(r.car.empty());
  // What did arrive is a verified prefix of the right CAR.
  std::string expected = net().gateway_car("good", "/ipfs/" + net().cid("file"));
  EXPECT_EQ(expected.compare(0, r.car.size(), r.car), 0);
}

TEST_F(RetrievalTest, ProvidersFromIpni) {
  net().routes({{net().cid("small"), {{{"mode", "wrongblock"}}, {{"mode", "good"}}}},
                {net().cid("hello"), {{{"bitswap", net().info()["peerId"]}}}}});
  Options opt;
  opt.config.ipni_url = net().ipni_url();
  Result r = retrieve("ipfs://" + net().cid("small"), opt);
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended);
  EXPECT_CAR(r.car, net().gateway_car("good", "/ipfs/" + net().cid("small")));
  EXPECT_TRUE(has(r.dropped, "does not hash to"));

  // No provider: 404.
  Result none = retrieve("ipfs://" + net().cid("absent"), opt);
  EXPECT_EQ(none.status, 404) << none.message;
  EXPECT_NE(none.message.find(net().cid("absent")), std::string::npos);

  // A Bitswap-only provider, with no libp2p node configured here: counted as failed, 502.
  Result bitswap = retrieve("ipfs://" + net().cid("hello"), opt);
  EXPECT_EQ(bitswap.status, 502) << bitswap.message;
  EXPECT_NE(bitswap.message.find("bitswap is not supported"), std::string::npos) << bitswap.message;
  // Asking for HTTP only leaves no candidate: 404.
  Result http_only = retrieve("ipfs://" + net().cid("hello") + "?protocols=http", opt);
  EXPECT_EQ(http_only.status, 404) << http_only.message;

  // An indexer that cannot be reached: 502 naming it.
  opt.config.ipni_url = "http://127.0.0.1:1";
  Result down = retrieve("ipfs://" + net().cid("small"), opt);
  EXPECT_EQ(down.status, 502);
  EXPECT_NE(down.message.find("IPNI lookup at http://127.0.0.1:1"), std::string::npos)
      << down.message;
}

TEST_F(RetrievalTest, GraphsyncAndBitswapProvidersFailAsNotSupported) {
  // As SPARK asks: one provider, a protocol, dag-scope=block.
  std::string addr = "/ip4/127.0.0.1/tcp/1/p2p/" + net().info()["peerId"].get<std::string>();
  for (std::string proto : {"graphsync", "bitswap"}) {
    Result r = retrieve("ipfs://" + net().cid("small") + "?dag-scope=block&protocols=" + proto +
                        "&providers=" + addr);
    EXPECT_EQ(r.status, 502) << r.message;
    EXPECT_NE(r.message.find("protocol " + proto + " is not supported"), std::string::npos)
        << r.message;
  }
}

TEST_F(RetrievalTest, TimeoutsGive504OrMoveOn) {
  Options opt;
  opt.config.provider_timeout = std::chrono::milliseconds(300);
  Result moved = retrieve(net().url("small", "", {"slow", "good"}), opt);
  ASSERT_EQ(moved.status, 200) << moved.message;
  EXPECT_TRUE(moved.ended);
  EXPECT_TRUE(has(moved.dropped, "provider timeout"));

  Result stalled = retrieve(net().url("small", "", {"slow"}), opt);
  EXPECT_EQ(stalled.status, 504) << stalled.message;

  Options global;
  global.config.global_timeout = std::chrono::milliseconds(300);
  Result overall = retrieve(net().url("small", "", {"slow"}), global);
  EXPECT_EQ(overall.status, 504) << overall.message;
  EXPECT_NE(overall.message.find("timed out after 300 ms"), std::string::npos) << overall.message;
}

TEST_F(RetrievalTest, BadRequestsAre400) {
  struct Case {
    std::string url, says;
  };
  std::string good = net().addr("good");
  for (const Case& c :
       {Case{"ipfs://notacid", "invalid CID"},
        Case{"ipfs://" + net().cid("file") + "?dag-scope=most", "invalid dag-scope"},
        Case{"ipfs://" + net().cid("file") + "?protocols=ftp", "unrecognized protocol"},
        Case{"ipfs://" + net().cid("file") + "?providers=/ip4/1.2.3.4/tcp/x/http",
             "invalid provider"},
        Case{"ipfs://" + net().cid("file") + "?entity-bytes=a:b", "invalid entity-bytes"},
        Case{"ipfs://" + net().cid("file") + "?format=raw", "invalid format"},
        Case{"ipfs://", "without a CID"}}) {
    SCOPED_TRACE(c.url);
    Result r = retrieve(c.url);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.message.find(c.says), std::string::npos) << r.message;
    EXPECT_EQ(r.responses, 1);
  }
}

TEST_F(RetrievalTest, CancelMidBodyStopsEverything) {
  Options opt;
  opt.cancel_after_bytes = 1;
  Result r = retrieve(net().url("file", "", {"good"}), opt);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.ended);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.calls_after_over, 0);
  EXPECT_LT(r.car.size(), 1'000'000u);
}

TEST_F(RetrievalTest, AReaderThatPausesGetsTheSameBytes) {
  Options opt;
  opt.pause_each = true;
  Result r = retrieve(net().url("file", "", {"good"}), opt);
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_TRUE(r.ended);
  EXPECT_CAR(r.car, net().gateway_car("good", "/ipfs/" + net().cid("file")));
}

TEST_F(RetrievalTest, TenRetrievalsAtOnceOnOneLoop) {
  std::vector<std::string> urls;
  for (int i = 0; i < 10; ++i)
    urls.push_back(net().url(i % 2 ? "file" : "dir", "", {i % 3 ? "good" : "wrongblock", "good"}));
  auto results = retrieve_all(urls);
  std::string file = net().gateway_car("good", "/ipfs/" + net().cid("file"));
  std::string dir = net().gateway_car("good", "/ipfs/" + net().cid("dir"));
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[i].status, 200) << results[i].message;
    EXPECT_TRUE(results[i].ended);
    EXPECT_CAR(results[i].car, i % 2 ? file : dir);
  }
}

TEST_F(RetrievalTest, TheSizeLimitErrorsTheBody) {
  Options opt;
  opt.config.max_bytes = 100'000;
  Result r = retrieve(net().url("file", "", {"good"}), opt);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.ended);
  EXPECT_NE(r.error.find("exceeds the limit of 100000 bytes"), std::string::npos) << r.error;
}

TEST_F(RetrievalTest, TheGatewayIsAskedForAVerifiableCar) {
  Result r = retrieve(net().url("small", "/?dag-scope=entity", {"good"}));
  ASSERT_EQ(r.status, 200);
  auto log = nlohmann::json::parse(
      http_get("http://127.0.0.1:" + std::to_string(net().port("good")) + "/requests")
          .value_or("[]"));
  ASSERT_FALSE(log.empty());
  auto last = log.back();
  EXPECT_NE(last["accept"].get<std::string>().find("application/vnd.ipld.car"), std::string::npos);
  EXPECT_NE(last["url"].get<std::string>().find("dag-scope=entity"), std::string::npos);
  EXPECT_EQ(last["url"].get<std::string>().rfind("/ipfs/" + net().cid("small"), 0), 0u);
}

// A sink for the service's thread: what it gets, under a lock.
struct SharedResult {
  std::mutex mutex;
  int status = 0;
  std::string car;
  bool ended = false;
  std::string error;
};
class LockedSink : public RetrievalSink {
 public:
  explicit LockedSink(std::shared_ptr<SharedResult> r) : r_(std::move(r)) {}
  void on_response(int status, const std::string&) override {
    std::lock_guard lock(r_->mutex);
    r_->status = status;
  }
  bool on_data(ByteView car) override {
    std::lock_guard lock(r_->mutex);
    r_->car.append(as_chars(car));
    return true;
  }
  void on_end() override {
    std::lock_guard lock(r_->mutex);
    r_->ended = true;
  }
  void on_error(const std::string& message) override {
    std::lock_guard lock(r_->mutex);
    r_->error = message;
  }

 private:
  std::shared_ptr<SharedResult> r_;
};

TEST_F(RetrievalTest, OneServiceSharedByTenThreads) {
  // As ten modules of one zinniad: each on its own thread, one client for all.
  RetrievalService service(RetrieverConfig{});
  std::vector<std::shared_ptr<SharedResult>> results;
  for (int i = 0; i < 10; ++i) results.push_back(std::make_shared<SharedResult>());
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i)
    threads.emplace_back([&, i] {
      service.start(net().url(i % 2 ? "file" : "small", "", {i % 3 ? "good" : "extra", "good"}),
                    std::make_unique<LockedSink>(results[i]));
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(
      zinnia::testing::eventually([&] { return service.active() == 0; }, std::chrono::seconds(30)));
  std::string file = net().gateway_car("good", "/ipfs/" + net().cid("file"));
  std::string small = net().gateway_car("good", "/ipfs/" + net().cid("small"));
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    std::lock_guard lock(results[i]->mutex);
    EXPECT_EQ(results[i]->status, 200);
    EXPECT_TRUE(results[i]->ended) << results[i]->error;
    EXPECT_CAR(results[i]->car, i % 2 ? file : small);
  }
}

TEST_F(RetrievalTest, StoppingTheServiceEndsWhatRuns) {
  auto r = std::make_shared<SharedResult>();
  auto started = std::chrono::steady_clock::now();
  {
    RetrievalService service(RetrieverConfig{});
    service.start(net().url("small", "", {"slow"}), std::make_unique<LockedSink>(r));
    ASSERT_TRUE(zinnia::testing::eventually([&] { return service.active() == 1; }));
  }
  // The slow provider would hold it for the 20 s provider timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  std::lock_guard lock(r->mutex);
  EXPECT_FALSE(r->ended);
  EXPECT_TRUE(r->error.empty());
}

}  // namespace
}  // namespace zinnia::ipfs::testing
