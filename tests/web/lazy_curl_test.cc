// libcurl is loaded on the first fetch (engine/curl/lib.h), not at start: a `zinnia run`
// module that never fetches has none of libcurl's libraries mapped, one that fetched has,
// and without a loadable libcurl fetch() rejects with a TypeError that says so.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/web/web_harness.h"

namespace {

using zinnia::testing::bin;
using zinnia::testing::current_env;
using zinnia::testing::Env;
using zinnia::testing::Process;
using zinnia::testing::TempDir;

std::string maps_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `source` under `zinnia run`, waits for "ready" on stdout, and returns the process's
// memory map at that moment (the module then idles until it is killed).
struct ZinniaRun {
  TempDir dir;
  std::unique_ptr<Process> p;
  ZinniaRun(const std::string& source, Env env = current_env()) {
    std::ofstream(dir.path() / "main.js") << source;
    env["NO_COLOR"] = "1";
    p = std::make_unique<Process>(
        std::vector<std::string>{bin("zinnia").string(), "run", (dir.path() / "main.js").string()},
        env);
  }
};

constexpr const char* kIdle = "setTimeout(() => {}, 60000);\n";

TEST(LazyCurl, AModuleThatNeverFetchesDoesNotMapLibcurl) {
  ZinniaRun run(std::string("console.log(typeof fetch, 'ready');\n") + kIdle);
  ASSERT_TRUE(run.p->wait_out("ready")) << run.p->out() << run.p->err();
  EXPECT_NE(run.p->out().find("function ready"), std::string::npos) << run.p->out();
  const std::string maps = maps_of(run.p->pid());
  ASSERT_NE(maps.find("libnode"), std::string::npos) << "the map of the live process";
  EXPECT_EQ(maps.find("libcurl"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libgnutls"), std::string::npos) << "libcurl's own dependencies";
  run.p->kill(SIGKILL);
}

TEST(LazyCurl, TheFirstFetchLoadsIt) {
  zinnia::web::testing::TestServer server;
  ASSERT_GT(server.port(), 0);
  ZinniaRun run(server.prefix() + R"(
const res = await fetch(BASE + "/n/1");
console.log(res.status, 'ready');
)" + kIdle);
  ASSERT_TRUE(run.p->wait_out("ready", std::chrono::seconds(30))) << run.p->out() << run.p->err();
  EXPECT_NE(run.p->out().find("200 ready"), std::string::npos) << run.p->out();
  EXPECT_NE(maps_of(run.p->pid()).find("libcurl"), std::string::npos);
  run.p->kill(SIGKILL);
}

TEST(LazyCurl, WithoutLibcurlFetchRejectsSayingSo) {
  Env env = current_env();
  env["ZINNIA_LIBCURL"] = "/nonexistent/libcurl.so.4";
  ZinniaRun run(R"(
for (const url of ['http://127.0.0.1:9/', 'ipfs://bafkqaaa']) {
  try {
    await fetch(url);
    console.log('resolved');
  } catch (e) {
    console.log(e.name + ': ' + e.message);
  }
}
console.log('ready');
)",
                env);
  ASSERT_EQ(run.p->wait(std::chrono::seconds(30)), 0) << run.p->err();
  const std::string want =
      "TypeError: fetch failed: libcurl is not available: /nonexistent/libcurl.so.4: cannot "
      "open shared object file: No such file or directory\n";
  EXPECT_EQ(run.p->out(), want + want + "ready\n");
}

// The module's curl driver keeps connections (HTTP keep-alive, as Deno): 50 sequential
// fetches to one server, each body read, arrive over a single TCP connection.
TEST(LazyCurl, SequentialFetchesReuseOneConnection) {
  zinnia::web::testing::TestServer server;
  ASSERT_GT(server.port(), 0);
  ZinniaRun run(server.prefix() + R"(
const before = (await (await fetch(BASE + "/connections")).json()).connections;
for (let i = 0; i < 50; i++) await (await fetch(BASE + "/n/" + i)).json();
const after = (await (await fetch(BASE + "/connections")).json()).connections;
console.log("new connections", after - before);
)");
  ASSERT_EQ(run.p->wait(std::chrono::seconds(60)), 0) << run.p->err();
  EXPECT_EQ(run.p->out(), "new connections 0\n");
}

// 64 fetches in flight never need more than 64 connections: no transfer's end closes another's
// idle connection (curl's default cache held 4x the transfers still running, so when 64 ended
// together the last ones closed connections and the next requests opened new ones: hundreds in
// a run like this one).
TEST(LazyCurl, SixtyFourConcurrentFetchersKeepTheirConnections) {
  zinnia::web::testing::TestServer server;
  ASSERT_GT(server.port(), 0);
  ZinniaRun run(server.prefix() + R"(
const count = async () => (await (await fetch(BASE + "/connections")).json()).connections;
const start = await count(); // counts this module's first connection
await Promise.all(Array.from({ length: 64 }, async () => {
  for (let i = 0; i < 40; i++) await (await fetch(BASE + "/n/" + i)).text();
}));
const total = (await count()) - start + 1;
console.log("connections", total <= 64 ? "at most 64" : total);
)");
  ASSERT_EQ(run.p->wait(std::chrono::seconds(120)), 0) << run.p->err();
  EXPECT_EQ(run.p->out(), "connections at most 64\n");
}

// The driver keeps watching an idle connection's socket between requests; when the server
// closes idle connections, the next fetches get new ones (often on the same fd numbers) and
// every request still completes. /together/8 answers once 8 requests wait, so each round
// holds 8 connections whatever the machine's speed.
TEST(LazyCurl, IdleConnectionsClosedByTheServerAreReplaced) {
  zinnia::web::testing::TestServer server;
  ASSERT_GT(server.port(), 0);
  ZinniaRun run(server.prefix() + R"(
const count = async () => (await (await fetch(BASE + "/connections")).json()).connections;
const round = () => Promise.all(Array.from({ length: 8 }, async () =>
  (await (await fetch(BASE + "/together/8")).json()).i));
const start = await count();
let ok = 0;
for (let r = 0; r < 5; r++) {
  const got = await round();
  if (got.sort().join() === "0,1,2,3,4,5,6,7") ok++;
  await (await fetch(BASE + "/close-idle")).json();
  // Not a wait for a result: a pause lets the idle watchers see the EOFs themselves (the path
  // under test) before curl's own check before reuse would find the connections dead.
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const opened = (await count()) - start;
// Ideally 7 per round (the connection that asked for /close-idle stays).
console.log("rounds ok", ok, "reconnected", opened >= 4 * 7 ? "yes" : opened);
)");
  ASSERT_EQ(run.p->wait(std::chrono::seconds(60)), 0) << run.p->err();
  EXPECT_EQ(run.p->out(), "rounds ok 5 reconnected yes\n");
}

}  // namespace
