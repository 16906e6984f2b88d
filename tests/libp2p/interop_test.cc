// Our node against the reference implementation: a js-libp2p node (tests/peers/libp2p) serves
// test protocols to our dialler, and dials our listener for ping and identify.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <mutex>

#include "engine/libp2p/crypto.h"
#include "engine/libp2p/multiaddr.h"
#include "engine/libp2p/node.h"
#include "engine/libp2p/wire.h"
#include "tests/libp2p/js_peer.h"
#include "tests/support/eventually.h"
#include "tests/support/require.h"
#include "util/version.h"

using namespace zinnia::libp2p;
using zinnia::testing::eventually;
using zinnia::testing::JsPeer;

namespace {

struct Result {
  Bytes body;
  std::size_t chunks = 0;
  std::optional<Error> error;
};

// Starts a request; the future is ready when on_done has run.
std::future<Result> start(Node& node, const std::string& addr, const std::string& proto,
                          const std::string& payload, RequestOptions opts = {},
                          RequestId* id = nullptr) {
  auto result = std::make_shared<Result>();
  auto promise = std::make_shared<std::promise<Result>>();
  auto fut = promise->get_future();
  RequestId rid = node.request(
      addr, proto, to_bytes(payload),
      [result](Bytes chunk) {
        append(result->body, chunk);
        ++result->chunks;
      },
      [result, promise](std::optional<Error> err) {
        result->error = std::move(err);
        promise->set_value(std::move(*result));
      },
      std::move(opts));
  if (id) *id = rid;
  return fut;
}

Result run(Node& node, const std::string& addr, const std::string& proto,
           const std::string& payload, RequestOptions opts = {}) {
  auto fut = start(node, addr, proto, payload, std::move(opts));
  if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "request to " << addr << " did not complete";
    return {};
  }
  return fut.get();
}

std::string str(const Bytes& b) { return std::string(as_chars(b)); }

class Libp2pInterop : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ZINNIA_REQUIRE(zinnia::testing::js_peer_installed(),
                   "js-libp2p is not installed (scripts/setup)");
  }
};

}  // namespace

TEST_P(Libp2pInterop, EchoRoundTrip) {
  JsPeer js(GetParam());
  Node node;
  Result r = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "hello from zinnia");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), "hello from zinnia");
  // A second request reuses the connection.
  Result r2 = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "again");
  ASSERT_FALSE(r2.error) << r2.error->message;
  EXPECT_EQ(str(r2.body), "again");
  EXPECT_EQ(node.stats().dials, 1u);
  EXPECT_EQ(js.call({{"cmd", "stats"}})["opened"], 1);
}

TEST_P(Libp2pInterop, DnsAddressesResolve) {
  JsPeer js(GetParam());
  Node node;
  std::string addr = js.addr();  // /ip4/127.0.0.1/tcp/<port>/p2p/<id>
  const std::string rest = addr.substr(addr.find("/tcp/"));
  for (const std::string prefix : {"/dns4/localhost", "/dns/localhost"}) {
    Result r = run(node, prefix + rest, "/zinnia-test/echo/1.0.0", "by name");
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(str(r.body), "by name");
  }
  // A fresh node: ours would reuse its connection to this peer id whatever the address.
  Node fresh;
  Result bad = run(fresh, "/dns4/no-such-host.invalid" + rest, "/zinnia-test/echo/1.0.0", "x");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->kind, Error::Kind::kDial);
  EXPECT_NE(bad.error->message.find("DNS"), std::string::npos) << bad.error->message;
}

TEST_P(Libp2pInterop, PingProtocolAsARequest) {
  JsPeer js(GetParam());
  Node node;
  std::string payload(32, '\0');
  for (int i = 0; i < 32; ++i) payload[static_cast<std::size_t>(i)] = static_cast<char>(i * 7);
  Result r = run(node, js.addr(), "/ipfs/ping/1.0.0", payload);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), payload);
}

TEST_P(Libp2pInterop, BigResponseUnderTheCap) {
  JsPeer js(GetParam());
  Node node;
  const std::size_t n = 10 * 1024 * 1024;  // exactly the cap
  Result r = run(node, js.addr(), "/zinnia-test/size/1.0.0", std::to_string(n));
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.body.size(), n);
  for (std::size_t i = 0; i < n; i += 4099) ASSERT_EQ(r.body[i], (i % 65536) % 251) << i;
  EXPECT_GT(r.chunks, 1u);
}

TEST_P(Libp2pInterop, ResponseOverTheCapIsRejected) {
  JsPeer js(GetParam());
  Node node;
  Result r = run(node, js.addr(), "/zinnia-test/size/1.0.0", std::to_string(11 * 1024 * 1024));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, Error::Kind::kTooLarge);
  EXPECT_NE(r.error->message.find(js.addr()), std::string::npos) << r.error->message;
  EXPECT_LE(r.body.size(), 10u * 1024 * 1024);
  // The connection survives for the next request.
  Result ok = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "still here");
  ASSERT_FALSE(ok.error) << ok.error->message;
  EXPECT_EQ(str(ok.body), "still here");
}

TEST_P(Libp2pInterop, ConcurrentRequestsShareOneConnection) {
  JsPeer js(GetParam());
  Node node;
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 250; ++i) {
    RequestOptions o;
    o.requester = "module-" + std::to_string(i % 5);
    futures.push_back(
        start(node, js.addr(), "/zinnia-test/echo/1.0.0", "request " + std::to_string(i), o));
  }
  for (int i = 0; i < 250; ++i) {
    ASSERT_EQ(futures[static_cast<std::size_t>(i)].wait_for(std::chrono::seconds(60)),
              std::future_status::ready);
    Result r = futures[static_cast<std::size_t>(i)].get();
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(str(r.body), "request " + std::to_string(i));
  }
  EXPECT_EQ(js.call({{"cmd", "stats"}})["opened"], 1);
  EXPECT_EQ(node.stats().dials, 1u);
}

TEST_P(Libp2pInterop, UnsupportedProtocolIsANegotiationError) {
  JsPeer js(GetParam());
  Node node;
  Result r = run(node, js.addr(), "/no-such/1.0.0", "x");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, Error::Kind::kNegotiation) << r.error->message;
  EXPECT_NE(r.error->message.find("/no-such/1.0.0"), std::string::npos) << r.error->message;
}

TEST_P(Libp2pInterop, HangingRemoteIsCutByTimeoutWhileASiblingCompletes) {
  JsPeer js(GetParam());
  Node node;
  RequestOptions slow;
  slow.requester = "stuck";
  slow.timeout = std::chrono::milliseconds(3000);
  auto hung = start(node, js.addr(), "/zinnia-test/hang/1.0.0", "x", slow);
  RequestOptions other;
  other.requester = "sibling";
  Result r = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "meanwhile", other);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(hung.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the hang ended early";
  ASSERT_EQ(hung.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  Result h = hung.get();
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, Error::Kind::kTimeout) << h.error->message;
}

TEST_P(Libp2pInterop, CancelRequesterCutsOnlyItsStreams) {
  JsPeer js(GetParam());
  Node node;
  RequestOptions a;
  a.requester = "module-a";
  RequestId id = 0;
  auto hung1 = start(node, js.addr(), "/zinnia-test/hang/1.0.0", "x", a, &id);
  auto hung2 = start(node, js.addr(), "/zinnia-test/hang/1.0.0", "y", a);
  ASSERT_TRUE(eventually([&] { return node.stats().streams >= 2; }));
  node.cancel_requester("module-a");
  ASSERT_EQ(hung1.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(hung2.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(hung1.get().error->kind, Error::Kind::kCancelled);
  EXPECT_EQ(hung2.get().error->kind, Error::Kind::kCancelled);
  Result r = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "module b works");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(node.stats().dials, 1u);
}

TEST_P(Libp2pInterop, WrongPeerIdIsRefused) {
  JsPeer js(GetParam());
  Node node;
  const std::string other = PeerId::from_public_key(Identity().public_key_protobuf()).to_base58();
  std::string addr = js.addr();
  addr = addr.substr(0, addr.rfind("/p2p/")) + "/p2p/" + other;
  Result r = run(node, addr, "/zinnia-test/echo/1.0.0", "x");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, Error::Kind::kPeerIdMismatch) << r.error->message;
  EXPECT_NE(r.error->message.find(addr), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find(js.peer_id()), std::string::npos) << r.error->message;
}

TEST_P(Libp2pInterop, JsDialsOurListenerForPingAndIdentify) {
  JsPeer js(GetParam());
  NodeOptions o;
  o.listen = {"/ip4/127.0.0.1/tcp/0"};
  Node node(o);
  const std::string ours = node.stats().listen_addrs.at(0) + "/p2p/" + node.peer_id();
  auto answer = js.call({{"cmd", "dial"}, {"addr", ours}});
  ASSERT_FALSE(answer.contains("error")) << answer.dump();
  EXPECT_EQ(answer["peerId"], node.peer_id());
  EXPECT_EQ(answer["agent"], std::string("zinnia/") + zinnia::kVersion);
  auto protocols = answer["protocols"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "/ipfs/ping/1.0.0"), protocols.end());
  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "/ipfs/id/1.0.0"), protocols.end());
  EXPECT_EQ(answer["listenAddrs"][0], node.stats().listen_addrs.at(0));
  EXPECT_TRUE(eventually([&] { return node.stats().inbound_connections == 1; }));
}

TEST_P(Libp2pInterop, AFloodingStreamDoesNotHoldUpASibling) {
  JsPeer js(GetParam());
  Node node;
  RequestOptions flood;
  flood.requester = "flooded";
  auto big =
      start(node, js.addr(), "/zinnia-test/size/1.0.0", std::to_string(64 * 1024 * 1024), flood);
  RequestOptions other;
  other.requester = "sibling";
  Result r = run(node, js.addr(), "/zinnia-test/echo/1.0.0", "not held up", other);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), "not held up");
  ASSERT_EQ(big.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  Result b = big.get();
  ASSERT_TRUE(b.error);
  EXPECT_EQ(b.error->kind, Error::Kind::kTooLarge) << b.error->message;
}

TEST_P(Libp2pInterop, ThePeerGoingAwayFailsItsRequestsAndTheNodeLivesOn) {
  auto js = std::make_unique<JsPeer>(GetParam());
  const std::string addr = js->addr();
  Node node;
  auto hung = start(node, addr, "/zinnia-test/hang/1.0.0", "x");
  ASSERT_TRUE(eventually([&] { return node.stats().streams >= 1; }));
  js.reset();  // SIGKILL: the TCP connection drops
  ASSERT_EQ(hung.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result h = hung.get();
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, Error::Kind::kConnection) << h.error->message;
  EXPECT_NE(h.error->message.find(addr), std::string::npos) << h.error->message;
  EXPECT_TRUE(eventually([&] { return node.stats().connections == 0; }));
  JsPeer again(GetParam());
  Result r = run(node, again.addr(), "/zinnia-test/echo/1.0.0", "new peer");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), "new peer");
}

INSTANTIATE_TEST_SUITE_P(Muxers, Libp2pInterop, ::testing::Values("yamux", "mplex"));

TEST(Libp2pDial, RefusedNamesTheAddress) {
  Node node;
  // A port that was just bound and released: nothing listens there.
  NodeOptions o;
  o.listen = {"/ip4/127.0.0.1/tcp/0"};
  std::string addr;
  {
    Node probe(o);
    addr = probe.stats().listen_addrs.at(0) + "/p2p/" + probe.peer_id();
  }
  Result r = run(node, addr, "/x/1.0.0", "x");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, Error::Kind::kDial);
  EXPECT_NE(r.error->message.find(addr), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("refused"), std::string::npos) << r.error->message;
}

TEST(Libp2pDial, BadArgumentsAreInvalidArgumentErrors) {
  Node node;
  const std::string id = node.peer_id();
  auto check = [&](const std::string& addr, const std::string& proto, const std::string& needle) {
    Result r = run(node, addr, proto, "");
    ASSERT_TRUE(r.error) << addr;
    EXPECT_EQ(r.error->kind, Error::Kind::kInvalidArgument) << r.error->message;
    EXPECT_NE(r.error->message.find(needle), std::string::npos) << r.error->message;
  };
  check("not a multiaddr", "/p", "must start with '/'");
  check("/ip4/127.0.0.1/tcp/1", "/p", "no /p2p/");
  check("/ip4/127.0.0.1/tcp/1/p2p/" + id, "", "protocol name is empty");
  check("/ip4/1.2.3/tcp/1/p2p/" + id, "/p", "invalid ip4");
  check("/p2p/" + id, "/p", "/tcp/<port>");
}

TEST(Libp2pNode, OurNodeDialsOurNode) {
  NodeOptions o;
  o.listen = {"/ip4/127.0.0.1/tcp/0"};
  std::mutex log_mu;
  std::vector<std::string> lines;
  o.log = [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    lines.push_back(line);
  };
  Node server(o);
  Node client;
  Result r = run(client, server.stats().listen_addrs.at(0) + "/p2p/" + server.peer_id(),
                 "/ipfs/ping/1.0.0", std::string(32, 'p'));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), std::string(32, 'p'));
  NodeOptions m;
  m.muxers = {"/mplex/6.7.0"};
  Node mplex_client(m);
  Result r2 = run(mplex_client, server.stats().listen_addrs.at(0) + "/p2p/" + server.peer_id(),
                  "/ipfs/ping/1.0.0", std::string(32, 'q'));
  ASSERT_FALSE(r2.error) << r2.error->message;
  EXPECT_EQ(str(r2.body), std::string(32, 'q'));
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(log_mu);
    int accepted = 0;
    for (const auto& l : lines) accepted += l.find("libp2p: accepted /ip4/127.0.0.1/tcp/") == 0;
    return accepted == 2;
  }));
  std::lock_guard lock(log_mu);
  EXPECT_EQ(lines.at(0).find("libp2p: listening on /ip4/127.0.0.1/tcp/"), 0u) << lines.at(0);
}

namespace {
// A raw TCP client to our listener: what a broken or hostile peer can send.
int connect_to(const std::string& listen_addr) {
  const auto m = Multiaddr::parse(listen_addr);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(m.tcp_port()));
  std::memcpy(&sa.sin_addr, m.components()[0].value.data(), 4);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

TEST(Libp2pNode, GarbageAndSilentPeersAreDroppedAndTheListenerLivesOn) {
  NodeOptions o;
  o.listen = {"/ip4/127.0.0.1/tcp/0"};
  o.dial_timeout = std::chrono::milliseconds(500);  // also bounds an inbound handshake
  Node server(o);
  const std::string listen = server.stats().listen_addrs.at(0);
  // Garbage instead of multistream-select: closed at once.
  int junk = connect_to(listen);
  ASSERT_GE(junk, 0);
  const char garbage[] = "\x05hello\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
  ASSERT_GT(::write(junk, garbage, sizeof garbage), 0);
  char buf[256];
  ssize_t n;
  std::string got;
  while ((n = ::read(junk, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(n, 0) << "the node closes the connection";
  ::close(junk);
  // A peer that connects and says nothing: closed when the handshake deadline passes.
  int silent = connect_to(listen);
  ASSERT_GE(silent, 0);
  const auto t0 = std::chrono::steady_clock::now();
  while ((n = ::read(silent, buf, sizeof buf)) > 0) {
  }
  EXPECT_EQ(n, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(400));
  ::close(silent);
  // A valid noise header followed by a forged handshake message.
  int forged = connect_to(listen);
  Bytes hello = multistream::encode(multistream::kProtocol);
  append(hello, multistream::encode("/noise"));
  append(hello, noise::frame(Bytes(32, 0)));  // a low-order ephemeral key
  ASSERT_GT(::write(forged, hello.data(), hello.size()), 0);
  while ((n = ::read(forged, buf, sizeof buf)) > 0) {
  }
  EXPECT_EQ(n, 0);
  ::close(forged);
  // The listener still serves a real peer.
  Node client;
  Result r =
      run(client, listen + "/p2p/" + server.peer_id(), "/ipfs/ping/1.0.0", std::string(32, 'z'));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(str(r.body), std::string(32, 'z'));
  EXPECT_TRUE(eventually([&] { return server.stats().inbound_connections == 1; }));
}
