#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "tests/support/process.h"
#include "tests/support/require.h"
#include "tests/support/temp_dir.h"
#include "tests/web/web_harness.h"

namespace {

using zinnia::engine::ExitReason;
using zinnia::web::testing::Result;
using zinnia::web::testing::run_fixture;
using zinnia::web::testing::TestServer;
using zinnia::web::testing::web_dir;

// Every check of the fixture passed under zinnia:test, and there were exactly `checks`.
void expect_clean(const Result& r, int checks) {
  for (auto& f : r.failures()) ADD_FAILURE() << f;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << "\n" << r.exit.stack;
  EXPECT_EQ(r.exit.code, 0) << "zinnia:test reports a failed check";
  EXPECT_TRUE(r.has("done")) << "the fixture did not reach its end";
  const std::string want = "ok | " + std::to_string(checks) + " passed | 0 failed";
  EXPECT_EQ(r.summary().rfind(want, 0), 0u) << r.summary();
  if (::testing::Test::HasFailure())
    for (auto& l : r.lines) std::printf("  | %s\n", l.c_str());
}

TEST(WebApis, UrlMatchesWptData) {
  auto r = run_fixture("url_wpt.js", "", {web_dir() / "data/urltestdata.json"});
  for (auto& l : r.lines)
    if (l.rfind("WPT URL", 0) == 0 || l.rfind("  failed", 0) == 0) std::printf("%s\n", l.c_str());
  EXPECT_TRUE(std::any_of(r.lines.begin(), r.lines.end(),
                          [](auto& l) { return l.rfind("WPT URL: ", 0) == 0; }));
  expect_clean(r, 10);
}

TEST(WebApis, UrlHostsThroughIcuUts46) { expect_clean(run_fixture("url_idna.js"), 26); }

TEST(WebApis, Encoding) { expect_clean(run_fixture("encoding.js"), 33); }

TEST(WebApis, CryptoAndPerformance) { expect_clean(run_fixture("crypto.js"), 20); }

TEST(WebApis, EventsAbortStreamsAndBodies) { expect_clean(run_fixture("events.js"), 28); }

TEST(WebApis, GlobalEventTargetErrorEvents) { expect_clean(run_fixture("global_events.js"), 12); }

TEST(WebApis, MessagingAbortAnyAndEventDetails) { expect_clean(run_fixture("messaging.js"), 11); }

// MessageChannel, MessagePort, MessageEvent and structuredClone's transfer: the same trace
// script under `zinnia run` and under Deno (@deno/linux-x64-glibc from npm), line by line.
TEST(WebApis, MessagingMatchesDeno) {
  const auto deno = std::filesystem::path(ZINNIA_SOURCE_DIR) /
                    "tests/peers/deno/node_modules/@deno/linux-x64-glibc/deno";
  ZINNIA_REQUIRE(std::filesystem::exists(deno), "Deno from npm (scripts/setup)");
  const auto script = web_dir() / "fixtures/messaging_trace.js";
  zinnia::testing::TempDir home;
  auto env = zinnia::testing::current_env();
  env["NO_COLOR"] = "1";
  env["DENO_DIR"] = (home.path() / "deno").string();
  env["DENO_NO_UPDATE_CHECK"] = "1";
  auto [zcode, zout] = zinnia::testing::run_command(
      {zinnia::testing::bin("zinnia").string(), "run", script.string()}, env);
  auto [dcode, dout] = zinnia::testing::run_command({deno.string(), "run", script.string()}, env);
  EXPECT_EQ(zcode, 0) << zout;
  EXPECT_EQ(dcode, 0) << dout;
  EXPECT_GT(std::count(zout.begin(), zout.end(), '\n'), 30) << zout;
  EXPECT_EQ(zout, dout);
}

TEST(WebApis, UncancelledErrorEventsStillEndTheModule) {
  // No listener, or one that does not call preventDefault(): the module ends as before.
  auto a = run_fixture("global_uncancelled.js", "globalThis.mode = 'rejection';\n");
  EXPECT_EQ(a.exit.reason, ExitReason::kUncaught);
  EXPECT_NE(a.exit.message.find("Uncaught (in promise) Error: r"), std::string::npos)
      << a.exit.message;
  EXPECT_TRUE(a.has("listener ran"));
  auto b = run_fixture("global_uncancelled.js", "globalThis.mode = 'report';\n");
  EXPECT_EQ(b.exit.reason, ExitReason::kUncaught);
  EXPECT_NE(b.exit.message.find("Uncaught Error: reported"), std::string::npos) << b.exit.message;
  EXPECT_FALSE(b.has("after"));
}

TEST(Fetch, StatusHeadersBodiesRedirectsErrorsAbortTimeout) {
  TestServer server;
  ASSERT_GT(server.port(), 0) << "could not start tests/web/server.js with node";
  expect_clean(run_fixture("fetch_basic.js", server.prefix()), 31);
}

TEST(Fetch, FormDataBlobCompressionAndSubtle) {
  TestServer server;
  ASSERT_GT(server.port(), 0) << "could not start tests/web/server.js with node";
  expect_clean(run_fixture("fetch_bodies.js", server.prefix()), 11);
}

TEST(Fetch, Streams50MiBInBoundedMemory) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  auto r = run_fixture("fetch_big.js", server.prefix(), {}, std::chrono::seconds(30));
  expect_clean(r, 2);
  // The body never sits in the JS heap: it is read chunk by chunk under backpressure.
  EXPECT_LT(r.max_heap_used, std::size_t{24} << 20) << "max heap used " << r.max_heap_used;
}

TEST(Fetch, TwoHundredConcurrentRequests) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_clean(run_fixture("fetch_concurrent.js", server.prefix()), 2);
}

TEST(Fetch, SparkShapedModule) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  auto r = run_fixture("spark.js", server.prefix());
  expect_clean(r, 2);
  int jobs = 0, activities = 0;
  for (auto& e : r.events) {
    if (e.kind == zinnia::engine::testing::Event::kJob) jobs++;
    if (e.kind == zinnia::engine::testing::Event::kActivity && e.text.rfind("Measurement ", 0) == 0)
      activities++;
  }
  EXPECT_EQ(jobs, 2);
  EXPECT_EQ(activities, 2);
}

TEST(Fetch, StopWithTransfersInFlight) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  auto r = run_fixture("fetch_stop.js", server.prefix(), {}, std::chrono::seconds(1));
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(r.has("started"));
  EXPECT_EQ(r.exit.reason, ExitReason::kStopped) << r.exit.message;
}

TEST(Fetch, WholeBodyReadsLazyStreamsAndCallerStacks) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_clean(run_fixture("fetch_lazy_body.js", server.prefix(), {}, std::chrono::seconds(30)),
               19);
}

TEST(Fetch, UnreadBodyDoesNotKeepModuleAlive) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_clean(run_fixture("fetch_unread.js", server.prefix(), {}, std::chrono::seconds(10)), 1);
}

}  // namespace
