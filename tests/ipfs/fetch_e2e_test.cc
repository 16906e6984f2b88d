// fetch("ipfs://...") end to end: a module under `zinnia run` against the loopback network
// (tests/peers/ipfs/gateway.mjs). The CARs it reads are checked against the honest gateway's.
#include <openssl/sha.h>

#include <fstream>
#include <map>
#include <set>

#include "tests/ipfs/network.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/eventually.h"
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

// tests/ipfs/fixtures/<name>, with `const NET = <net>;` before it.
std::string fixture_with_net(const std::string& name, const nlohmann::json& net) {
  std::ifstream fixture(std::string(ZINNIA_SOURCE_DIR) + "/tests/ipfs/fixtures/" + name);
  std::string source((std::istreambuf_iterator<char>(fixture)), std::istreambuf_iterator<char>());
  return "const NET = " + net.dump() + ";\n" + source;
}

// Runs `source` as a module under `zinnia run` (NO_COLOR, plus `vars`) and returns the first
// JSON object it printed; null, with the failure recorded, when it exits non-zero or prints none.
nlohmann::json run_module(const std::string& source,
                          const std::map<std::string, std::string>& vars = {}) {
  zinnia::testing::TempDir dir;
  std::string main = (dir.path() / "main.js").string();
  std::ofstream(main) << source;
  auto env = zinnia::testing::current_env();
  env["NO_COLOR"] = "1";
  for (const auto& [k, v] : vars) env[k] = v;
  zinnia::testing::Process zinnia({zinnia::testing::bin("zinnia").string(), "run", main}, env);
  const int rc = zinnia.wait(std::chrono::seconds(60));
  if (rc != 0) {
    ADD_FAILURE() << "zinnia run exited " << rc << "\n" << zinnia.err();
    return nullptr;
  }
  std::string line = zinnia.out();
  auto start = line.find('{');
  if (start == std::string::npos) {
    ADD_FAILURE() << "no JSON line: " << line << zinnia.err();
    return nullptr;
  }
  return nlohmann::json::parse(line.substr(start, line.find('\n', start) - start));
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
  auto out =
      run_module(fixture_with_net("fetch_ipfs.js", n),
                 {{"ZINNIA_IPNI_URL", net.ipni_url()}, {"ZINNIA_IPFS_PROVIDER_TIMEOUT_MS", "500"}});
  ASSERT_FALSE(out.is_null());

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
  auto out = run_module(fixture_with_net("fetch_ipfs_bitswap.js", n),
                        {{"ZINNIA_IPFS_PROVIDER_TIMEOUT_MS", "5000"}});
  ASSERT_FALSE(out.is_null());

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

// Backpressure across threads: a module that keeps its thread busy while its retrieval runs
// (the service posts up to the 256 KiB bound, then pauses it) and then reads slowly, chunk
// by chunk across timers (its stream fills and JS pulls it again), gets the whole CAR.
TEST(FetchIpfs, ABusyThenSlowReaderGetsTheWholeCar) {
  ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
  Network net;
  const std::string file = net.cid("file");
  const std::string car = net.gateway_car("good", "/ipfs/" + file);
  auto out =
      run_module("const url = 'ipfs://" + file + "?providers=" + net.addr("good") + "';\n" + R"js(
    const hex = async (buf) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', buf))]
      .map((b) => b.toString(16).padStart(2, '0')).join('');
    const res = await fetch(url);
    const until = Date.now() + 300;
    while (Date.now() < until) {}  // the retrieval goes on, posting to a busy thread
    const reader = res.body.getReader();
    const chunks = [];
    let n = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      if (chunks.length % 4 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const all = new Uint8Array(n);
    let off = 0;
    for (const c of chunks) { all.set(c, off); off += c.length; }
    console.log(JSON.stringify({ n, sha: await hex(all) }));
  )js");
  ASSERT_FALSE(out.is_null());
  EXPECT_EQ(out["n"], car.size());
  EXPECT_EQ(out["sha"], sha256_hex(car));
}

// Occurrences of `needle` in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string log_of(const zinnia::testing::Daemon& d, const std::string& module) {
  try {
    return zinnia::testing::read_file(d.log(module));
  } catch (...) {
    return "";
  }
}

// 10 modules of one zinniad retrieving at once go through the process's one retrieval client:
// a connection to the gateway serves retrievals of several modules (a client per module would
// keep each module's requests on connections of its own). Each module tags its requests with
// its own entity-bytes range, which the gateway records with the client's port.
TEST(FetchIpfs, TenModulesOfOneDaemonShareOneClient) {
  ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
  Network net;
  zinnia::testing::Daemon d;
  d.env["ZINNIA_IPNI_URL"] = net.ipni_url();
  d.env["ZINNIA_IPFS_PROVIDER_TIMEOUT_MS"] = "5000";
  const std::string small = net.cid("small");
  std::vector<std::string> names;
  for (int i = 0; i < 10; i++) {
    names.push_back("m" + std::to_string(i));
    d.module(names.back(), "const url = 'ipfs://" + small + "?providers=" + net.addr("good") +
                               "&entity-bytes=0:" + std::to_string(100 + i) + "';\n" + R"js(
      for (let r = 0; r < 6; r++) {
        const res = await fetch(url);
        const n = (await res.arrayBuffer()).byteLength;
        console.log(`got ${res.status} ${n}`);
      }
      console.log('all done');
      setInterval(() => {}, 60000);
    )js");
  }
  auto p = d.start([&] {
    std::vector<std::string> a = {"--no-mount"};
    for (auto& m : names) a.push_back(m + "=" + (d.app_dir() / (m + ".js")).string());
    return a;
  }());
  ASSERT_TRUE(zinnia::testing::eventually(
      [&] {
        for (auto& m : names)
          if (log_of(d, m).find("all done") == std::string::npos) return false;
        return true;
      },
      std::chrono::seconds(90), std::chrono::milliseconds(50)))
      << p->err();
  for (auto& m : names) {
    auto log = log_of(d, m);
    EXPECT_EQ(count_of(log, "got 200 "), 6u) << m << ": " << log;
  }
  auto requests = nlohmann::json::parse(
      *http_get("http://127.0.0.1:" + std::to_string(net.port("good")) + "/requests"));
  std::map<int, std::set<std::string>> modules_by_port;  // client port -> entity-bytes tags
  std::size_t tagged = 0;
  for (auto& r : requests) {
    auto url = r["url"].get<std::string>();
    auto at = url.find("entity-bytes=0%3A");
    std::string tag;
    if (at != std::string::npos)
      tag = url.substr(at + 17, 3);
    else if ((at = url.find("entity-bytes=0:")) != std::string::npos)
      tag = url.substr(at + 15, 3);
    else
      continue;
    ++tagged;
    modules_by_port[r["port"].get<int>()].insert(tag);
  }
  EXPECT_EQ(tagged, 60u) << requests.dump();
  std::size_t shared = 0;
  for (auto& [port, tags] : modules_by_port)
    if (tags.size() > 1) ++shared;
  EXPECT_GT(shared, 0u) << "no connection served more than one module: " << requests.dump();
  EXPECT_LT(modules_by_port.size(), 60u);
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(std::chrono::seconds(10)), 0) << p->err();
}

// A module that dies in the middle of its retrievals (one reading a body, one left waiting on a
// gateway that sends nothing) and is restarted, again and again, while nine others retrieve a
// 1 MiB file over and over: theirs all complete, the daemon neither crashes nor hangs, and it
// exits cleanly.
TEST(FetchIpfs, AModuleStoppedMidRetrievalLeavesTheOthersRetrieving) {
  ZINNIA_REQUIRE(peers_installed(), "tests/peers/ipfs is not installed (scripts/setup)");
  Network net;
  zinnia::testing::Daemon d(/*fast_restarts=*/true);
  d.env["ZINNIA_IPNI_URL"] = net.ipni_url();
  d.env["ZINNIA_IPFS_PROVIDER_TIMEOUT_MS"] = "20000";
  const std::string file = net.cid("file");
  const std::size_t size = net.gateway_car("good", "/ipfs/" + file).size();
  const std::string good = "ipfs://" + file + "?providers=" + net.addr("good");
  const std::string slow = "ipfs://" + file + "?providers=" + net.addr("slow");
  d.module("crash", "const good = '" + good + "', slow = '" + slow + "';\n" + R"js(
    console.log('crash start');
    fetch(slow).catch(() => {});
    const res = await fetch(good);
    const reader = res.body.getReader();
    await reader.read();
    throw new Error('crashed mid-retrieval');
  )js");
  std::vector<std::string> names = {"crash"};
  for (int i = 0; i < 9; i++) {
    names.push_back("w" + std::to_string(i));
    d.module(names.back(), "const good = '" + good + "';\n" + R"js(
      for (let r = 0; ; r++) {
        const res = await fetch(good);
        console.log(`got ${res.status} ${(await res.arrayBuffer()).byteLength}`);
      }
    )js");
  }
  auto p = d.start([&] {
    std::vector<std::string> a = {"--no-mount"};
    for (auto& m : names) a.push_back(m + "=" + (d.app_dir() / (m + ".js")).string());
    return a;
  }());
  const std::string ok = "got 200 " + std::to_string(size);
  ASSERT_TRUE(zinnia::testing::eventually(
      [&] {
        if (count_of(log_of(d, "crash"), "crash start") < 4) return false;
        for (std::size_t i = 1; i < names.size(); i++)
          if (count_of(log_of(d, names[i]), ok) < 3) return false;
        return true;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(50)))
      << "crash: " << log_of(d, "crash") << "\nw0: " << log_of(d, "w0") << "\n"
      << p->err();
  for (std::size_t i = 1; i < names.size(); i++) {
    auto log = log_of(d, names[i]);
    EXPECT_EQ(count_of(log, "got "), count_of(log, ok)) << names[i] << ": " << log;
  }
  EXPECT_EQ(p->running(), true);
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(std::chrono::seconds(10)), 0) << p->err();
}

}  // namespace
}  // namespace zinnia::ipfs::testing
