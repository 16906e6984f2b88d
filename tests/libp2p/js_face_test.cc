// Zinnia.peerId and Zinnia.requestProtocol end to end: modules under `zinnia run` and
// zinniad against a js-libp2p node (tests/peers/libp2p), and the js node dialling ours.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "tests/daemon/e2e_util.h"
#include "tests/libp2p/js_peer.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"
#include "tests/support/require.h"

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;

std::string module_source(const std::string& addr, const std::string& body) {
  return "const ADDR = " + nlohmann::json(addr).dump() +
         ";\nconst enc = new TextEncoder(), dec = new TextDecoder();\n"
         "async function text(it) { let s = ''; for await (const c of it) s += dec.decode(c, "
         "{stream: true}); return s; }\n" +
         body;
}

std::filesystem::path write_module(const TempDir& dir, const std::string& name,
                                   const std::string& source) {
  auto path = dir.path() / name;
  std::ofstream(path) << source;
  return path;
}

// The peer id a module printed as "peer <id>\n": empty unless it is a whole line of an
// Ed25519 id in base58btc. (No std::regex: GCC 12 warns inside it under ASan.)
std::string printed_peer_id(const std::string& out) {
  const auto at = out.find("peer 12D3KooW");
  if (at == std::string::npos) return {};
  const auto end = out.find('\n', at);
  if (end == std::string::npos) return {};
  std::string id = out.substr(at + 5, end - at - 5);
  static const std::string kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  if (id.size() < 40 || id.find_first_not_of(kAlphabet) != std::string::npos) return {};
  return id;
}

// A TCP port free a moment ago, for ZINNIA_LIBP2P_LISTEN.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

class Libp2pJsFace : public ::testing::Test {
 protected:
  void SetUp() override {
    ZINNIA_REQUIRE(js_peer_installed(), "js-libp2p is not installed (scripts/setup)");
  }
};

TEST_F(Libp2pJsFace, ZinniaRunRequestsProtocolsAndReportsErrors) {
  JsPeer js;
  TempDir dir;
  const auto mod = write_module(dir, "main.js", module_source(js.addr(), R"(
console.log('peer ' + Zinnia.peerId);
console.log('echo ' + await text(await Zinnia.requestProtocol(ADDR, '/zinnia-test/echo/1.0.0', enc.encode('hi from a module'))));
const ping = new Uint8Array(32).map((_, i) => i * 3);
let back = [];
for await (const c of await Zinnia.requestProtocol(ADDR, '/ipfs/ping/1.0.0', ping)) back.push(...c);
console.log('ping ' + (back.length === 32 && back.every((b, i) => b === ping[i])));
const cases = [[1, '/x', new Uint8Array()], [ADDR, 2, new Uint8Array()], [ADDR, '/x', 'text'],
  ['not a multiaddr', '/x', new Uint8Array()], ['/ip4/127.0.0.1/tcp/1', '/x', new Uint8Array()],
  [ADDR, '', new Uint8Array()]];
for (const [a, p, b] of cases) {
  try { await Zinnia.requestProtocol(a, p, b); console.log('arg no error'); }
  catch (e) { console.log('arg ' + e.constructor.name + ': ' + e.message); }
}
try { await Zinnia.requestProtocol(ADDR, '/zinnia-test/size/1.0.0', enc.encode(String(11 * 1024 * 1024))); console.log('big no error'); }
catch (e) { console.log('big ' + e.constructor.name + ': ' + e.message); }
try { await Zinnia.requestProtocol(ADDR, '/zinnia-test/hang/1.0.0', enc.encode('x'), { signal: AbortSignal.timeout(300) }); }
catch (e) { console.log('hang ' + e.name); }
try { await Zinnia.requestProtocol(ADDR, '/no-such/1.0.0', enc.encode('x')); }
catch (e) { console.log('na ' + e.message); }
console.log('size ' + (await text(await Zinnia.requestProtocol(ADDR, '/zinnia-test/size/1.0.0', enc.encode('200000')))).length);
)"));
  Process p({bin("zinnia").string(), "run", mod.string()}, current_env());
  ASSERT_EQ(p.wait(60s), 0) << p.out() << p.err();
  const std::string out = p.out();
  EXPECT_FALSE(printed_peer_id(out).empty()) << out;
  EXPECT_NE(out.find("echo hi from a module\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ping true\n"), std::string::npos) << out;
  EXPECT_NE(out.find("arg TypeError: remoteAddress must be string (found: number)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arg TypeError: protocolName must be string (found: number)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arg TypeError: requestPayload must be Uint8Array (found: String)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arg TypeError: requestProtocol: remoteAddress is not a valid multiaddr"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arg TypeError: requestProtocol: remoteAddress has no /p2p/<peer id> part"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("arg TypeError: requestProtocol: protocolName must not be empty\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("no error"), std::string::npos) << out;
  EXPECT_NE(out.find("big Error: libp2p request to " + js.addr() +
                     " (/zinnia-test/size/1.0.0): response too large"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("hang TimeoutError\n"), std::string::npos) << out;
  EXPECT_NE(out.find("na libp2p request to " + js.addr() +
                     " (/no-such/1.0.0): protocol negotiation failed"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("size 200000\n"), std::string::npos) << out;
  EXPECT_EQ(js.call({{"cmd", "stats"}})["opened"], 1) << "one connection for the whole run";
}

TEST_F(Libp2pJsFace, ZinniadModulesShareOnePeerAndOneConnection) {
  JsPeer js;
  Daemon d{true};
  const std::string body = R"(
console.log('peer ' + Zinnia.peerId);
const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
  Zinnia.requestProtocol(ADDR, '/zinnia-test/echo/1.0.0', enc.encode(NAME + ' ' + i)).then(text)));
console.log('ok ' + results.every((r, i) => r === NAME + ' ' + i));
)";
  std::vector<std::string> args = {"--no-mount"};
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    const auto path =
        write_module(d.dir, std::string(name) + ".js",
                     module_source(js.addr(), "const NAME = '" + std::string(name) + "';" + body));
    args.push_back(std::string(name) + "=" + path.string());
  }
  d.env["ZINNIA_LOG"] = "debug";
  auto p = d.start(args);
  ASSERT_EQ(p->wait(60s), 0) << p->err();
  EXPECT_NE(p->err().find("zinniad] libp2p: connected to " + js.addr() + " (" + js.peer_id() +
                          ", yamux)"),
            std::string::npos)
      << p->err();
  std::string peer;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    const std::string out = read_file(d.logs() / name / "stdout.txt");
    EXPECT_NE(out.find("ok true\n"), std::string::npos) << name << ": " << out << p->err();
    const std::string id = printed_peer_id(out);
    ASSERT_FALSE(id.empty()) << out;
    if (peer.empty()) peer = id;
    EXPECT_EQ(id, peer) << "one node, one peer id for every module";
  }
  EXPECT_EQ(js.call({{"cmd", "stats"}})["opened"], 1)
      << "5 modules x 50 requests on one connection";
}

TEST_F(Libp2pJsFace, TheJsNodeDialsOurListenerFromZinniaLibp2pListen) {
  JsPeer js;
  TempDir dir;
  const int port = free_port();
  const auto mod = write_module(dir, "main.js", R"(
console.log('peer ' + Zinnia.peerId);
await new Promise((resolve) => setTimeout(resolve, 60000));
)");
  Env env = current_env();
  env["ZINNIA_LIBP2P_LISTEN"] = "/ip4/127.0.0.1/tcp/" + std::to_string(port);
  Process p({bin("zinnia").string(), "run", mod.string()}, env);
  ASSERT_TRUE(p.wait_out("peer ", 30s)) << p.err();
  std::string peer;
  ASSERT_TRUE(eventually([&] {
    peer = printed_peer_id(p.out());
    return !peer.empty();
  }));
  auto answer = js.call(
      {{"cmd", "dial"}, {"addr", "/ip4/127.0.0.1/tcp/" + std::to_string(port) + "/p2p/" + peer}});
  ASSERT_FALSE(answer.contains("error")) << answer.dump() << p.err();
  EXPECT_EQ(answer["peerId"], peer);
  EXPECT_EQ(answer["listenAddrs"][0], "/ip4/127.0.0.1/tcp/" + std::to_string(port));
  p.kill(SIGTERM);
}

TEST_F(Libp2pJsFace, StatusJsonShowsTheNodeAndItsStreams) {
  ZINNIA_REQUIRE_FUSE();
  JsPeer js;
  Daemon d{true};
  const auto mnt = d.dir.path() / "mnt";
  const auto mod = write_module(d.dir, "h.js", module_source(js.addr(), R"(
console.log('peer ' + Zinnia.peerId);
for (let i = 0; i < 3; i++)
  Zinnia.requestProtocol(ADDR, '/zinnia-test/hang/1.0.0', enc.encode('x')).catch((e) => console.log('ended ' + e.message));
await new Promise((resolve) => setTimeout(resolve, 60000));
)"));
  auto p = d.start({"--mount", mnt.string(), "h=" + mod.string()});
  ASSERT_TRUE(p->wait_err("monitor tree mounted at")) << p->err();
  nlohmann::json status;
  ASSERT_TRUE(eventually(
      [&] {
        try {
          status = nlohmann::json::parse(read_file(mnt / "monitor/status.json"));
        } catch (const std::exception&) {
          return false;
        }
        return status.contains("libp2p") && status["libp2p"]["streams"] == 3;
      },
      20s))
      << status.dump() << p->err();
  EXPECT_EQ(status["libp2p"]["state"], "running");
  EXPECT_EQ(status["libp2p"]["connections"], 1);
  EXPECT_EQ(status["libp2p"]["requests_in_flight"], 3);
  EXPECT_EQ(status["libp2p"]["listen_addrs"], nlohmann::json::array());
  const std::string out = read_file(mnt / "monitor/logs/h/stdout.txt");
  EXPECT_NE(out.find("peer " + status["libp2p"]["peer_id"].get<std::string>()), std::string::npos)
      << out;
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

// The node is made on a module's first use of it, not at start (docs/libp2p.md).
TEST_F(Libp2pJsFace, NodeIsNotStartedUntilAModuleUsesIt) {
  ZINNIA_REQUIRE_FUSE();
  Daemon d{true};
  const auto mnt = d.dir.path() / "mnt";
  const auto idle = write_module(d.dir, "idle.js", R"(
console.log('keys ' + Object.keys(Zinnia).join());
setInterval(() => {}, 60000);
)");
  auto p = d.start({"--mount", mnt.string(), "idle=" + idle.string()});
  ASSERT_TRUE(p->wait_err("monitor tree mounted at")) << p->err();
  nlohmann::json status;
  ASSERT_TRUE(eventually(
      [&] {
        try {
          status = nlohmann::json::parse(read_file(mnt / "monitor/status.json"));
        } catch (const std::exception&) {
          return false;
        }
        return status["components"]["idle"]["state"] == "running" && status.contains("libp2p");
      },
      20s))
      << status.dump() << p->err();
  EXPECT_EQ(status["libp2p"]["state"], "not started") << status.dump();
  EXPECT_TRUE(status["libp2p"]["peer_id"].is_null()) << status.dump();
  EXPECT_EQ(status["libp2p"]["connections"], 0);
  ASSERT_TRUE(eventually([&] {
    return read_file(mnt / "monitor/logs/idle/stdout.txt").find("keys ") != std::string::npos;
  }));
  // Listing the keys (peerId is an enumerable getter) did not make the node.
  EXPECT_NE(read_file(mnt / "monitor/logs/idle/stdout.txt").find("peerId"), std::string::npos);
  status = nlohmann::json::parse(read_file(mnt / "monitor/status.json"));
  EXPECT_EQ(status["libp2p"]["state"], "not started") << status.dump();
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

TEST_F(Libp2pJsFace, ACrashedModulesStreamsAreCancelledWhileASiblingGoesOn) {
  ZINNIA_REQUIRE_FUSE();
  JsPeer js;
  Daemon d{true};
  const auto mnt = d.dir.path() / "mnt";
  // k: three requests that never get an answer, then a crash (and restarts, each doing it again).
  const auto k = write_module(d.dir, "k.js", module_source(js.addr(), R"(
for (let i = 0; i < 3; i++) Zinnia.requestProtocol(ADDR, '/zinnia-test/hang/1.0.0', enc.encode('x')).catch(() => {});
setTimeout(() => { throw new Error('crash with streams open'); }, 300);
)"));
  // s: a request every 50 ms, logging each answer.
  const auto sib = write_module(d.dir, "s.js", module_source(js.addr(), R"(
for (let i = 0; ; i++) {
  console.log(await text(await Zinnia.requestProtocol(ADDR, '/zinnia-test/echo/1.0.0', enc.encode('s ' + i))));
  await new Promise((resolve) => setTimeout(resolve, 50));
}
)"));
  auto p = d.start({"--mount", mnt.string(), "k=" + k.string(), "s=" + sib.string()});
  ASSERT_TRUE(p->wait_err("monitor tree mounted at")) << p->err();
  nlohmann::json status;
  auto read_status = [&] {
    try {
      status = nlohmann::json::parse(read_file(mnt / "monitor/status.json"));
      return status.contains("libp2p");
    } catch (const std::exception&) {
      return false;
    }
  };
  // Well before the node's 10 s request timeout: k's requests end because k ended.
  ASSERT_TRUE(eventually(
      [&] {
        return read_status() && status["components"]["k"]["restarts"].get<int>() >= 2 &&
               status["libp2p"]["requests_failed"].get<int>() >= 6;
      },
      8s))
      << status.dump() << p->err();
  EXPECT_LE(status["libp2p"]["streams"].get<int>(), 4)
      << "streams of dead runs are gone: " << status.dump();
  EXPECT_EQ(status["libp2p"]["connections"], 1);
  const std::string before = read_file(mnt / "monitor/logs/s/stdout.txt");
  ASSERT_TRUE(eventually([&] {
    return read_file(mnt / "monitor/logs/s/stdout.txt").size() > before.size() + 20;
  })) << "the sibling's requests go on";
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

}  // namespace
}  // namespace zinnia::testing
