// Issue 14: real Station modules run unchanged. One test per numbered item.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/compat/compat_harness.h"
#include "tests/daemon/e2e_util.h"
#include "tests/support/require.h"

namespace {

using namespace zinnia::compat::testing;
using zinnia::web::testing::TestServer;

TEST(Compat, RequestFromRequestGetsItsOwnBody) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_fixture("request_body.js", server.prefix(), {}, 14);
}

TEST(Compat, ResizableArrayBufferCloneAndInspect) { expect_fixture("rab.js", "", {}, 13); }

TEST(Compat, JsonImportWithAndAssertStaticAndDynamic) {
  expect_fixture("import_attributes.js", "", {"data.json"}, 7);
}

TEST(Compat, FetchNetworkErrorsReadAsZinnias) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_fixture("fetch_errors.js",
                 server.prefix() + "const REFUSED = \"http://127.0.0.1:" +
                     std::to_string(closed_port()) + "\";\n",
                 {}, 14);
}

// What a Station behind a proxy needs, and what runs SPARK's unmodified main.js against
// loopback stand-ins for its https services (scripts/compat-real): libcurl's proxy variables
// (HTTPS_PROXY, http_proxy, NO_PROXY), and the CAs named by SSL_CERT_FILE / SSL_CERT_DIR.
TEST(Compat, FetchHonoursProxyAndCaVariables) {
  TempDir dir;
  Process server({"node", (compat_dir() / "proxy_server.js").string(), dir.path().string()},
                 zinnia::testing::current_env());
  ASSERT_TRUE(server.wait_out("}\n", std::chrono::seconds(30))) << server.err();
  const auto urls = nlohmann::json::parse(server.out());
  const std::string proxy = urls["proxy"], direct = urls["direct"];
  auto env_with = [&](std::initializer_list<std::pair<const std::string, std::string>> extra) {
    Env env = zinnia::testing::current_env();
    for (const char* v : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                          "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"})
      env.erase(v);
    env.insert(extra);
    return env;
  };
  auto prefix = [&](const std::string& mode) {
    return "const MODE = \"" + mode + "\", PROXY = \"" + proxy + "\", DIRECT = \"" + direct +
           "\";\n";
  };
  const std::string ca = (dir.path() / "ca.pem").string();
  {
    SCOPED_TRACE("SSL_CERT_FILE, HTTPS_PROXY, http_proxy, NO_PROXY");
    expect_fixture("proxy.js", prefix("trusted"), {}, 4,
                   env_with({{"HTTPS_PROXY", proxy},
                             {"http_proxy", proxy},
                             {"NO_PROXY", "127.0.0.1"},
                             {"SSL_CERT_FILE", ca}}));
  }
  {
    SCOPED_TRACE("SSL_CERT_DIR, https_proxy");
    expect_fixture(
        "proxy.js", prefix("trusted dir"), {}, 1,
        env_with({{"https_proxy", proxy}, {"SSL_CERT_DIR", (dir.path() / "certs").string()}}));
  }
  {
    SCOPED_TRACE("no CA variable");
    expect_fixture("proxy.js", prefix("untrusted"), {}, 1, env_with({{"HTTPS_PROXY", proxy}}));
  }
  {
    SCOPED_TRACE("no proxy variable");
    expect_fixture("proxy.js", prefix("no proxy"), {}, 1, env_with({{"SSL_CERT_FILE", ca}}));
  }
}

// Issue 14.5: the builtins V8 10.2 lacks, from core-js, in every module.
TEST(Compat, LanguageLevelFromCoreJs) { expect_fixture("language.js", "", {}, 35); }

// Issue 14.8: every name of Deno std/assert 0.226, with its behaviour.
TEST(Compat, AssertExportsDenoStdAssertApi) { expect_fixture("assert_api.js", "", {}, 22); }

// Issue 14.7: zinnia:test reports as the real Zinnia's runner, on stdout, exit 1 on failure.
TEST(Compat, TestRunnerReportsAsZinnia) {
  TempDir dir;
  std::filesystem::copy_file(compat_dir() / "fixtures/testing_report.js",
                             dir.path() / "testing_report.js");
  std::filesystem::copy_file(compat_dir() / "fixtures/testing_pass.js",
                             dir.path() / "testing_pass.js");
  Process p(
      {zinnia::testing::bin("zinnia").string(), "run", "testing_report.js"},
      [] {
        auto env = zinnia::testing::current_env();
        env["NO_COLOR"] = "1";
        return env;
      }(),
      Process::Options{dir.path()});
  ASSERT_EQ(p.wait(std::chrono::seconds(30)), 1) << p.err();
  const std::string url = "file://" + (dir.path() / "testing_report.js").string();
  const std::string out = std::regex_replace(p.out(), std::regex(R"(\(\d+ms\))"), "(Nms)");
  EXPECT_EQ(out,
            "\ntesting_report.js\n"
            "  \u2714 smoke test (Nms)\n"
            "  \u2716 failing test (Nms)\n"
            "  \u2716 failing assertion (Nms)\n"
            "\n FAILURES \n"
            "\nfailing test => " +
                url +
                ":8:1\n"
                "error: Error: this failed\n"
                "  throw new Error(\"this failed\");\n"
                "        ^\n"
                "    at Object.fn (" +
                url +
                ":9:9)\n"
                "\nfailing assertion => " +
                url +
                ":12:1\n"
                "error: AssertionError: Values are not equal:\n"
                "\n"
                "    actual: 1\n"
                "  expected: 2\n"
                "  assertEquals(1, 2);\n"
                "  ^\n"
                "    at Object.fn (" +
                url +
                ":13:3)\n"
                "\nFAIL | 1 passed | 2 failed (Nms)\n");
  EXPECT_EQ(p.err(), "");

  Process ok({zinnia::testing::bin("zinnia").string(), "run", "testing_pass.js"},
             zinnia::testing::current_env(), Process::Options{dir.path()});
  ASSERT_EQ(ok.wait(std::chrono::seconds(30)), 0) << ok.err();
  EXPECT_EQ(std::regex_replace(ok.out(), std::regex(R"(\(\d+ms\))"), "(Nms)"),
            "\ntesting_pass.js\n  \u2714 one (Nms)\n  \u2714 two (Nms)\n"
            "\nok | 2 passed | 0 failed (Nms)\n\n");
}

// Issue 14.9: versions.v8, the User-Agent, the remote import message.
TEST(Compat, SmallDifferencesRealTestsCheck) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  expect_fixture("small_diffs.js", server.prefix(), {}, 5);
}

// Issue 14.9: an uncaught error prints the source line with a caret under the column (Deno).
TEST(Compat, UncaughtErrorShowsSourceLineAndCaret) {
  TempDir dir;
  std::filesystem::copy_file(compat_dir() / "fixtures/uncaught.js", dir.path() / "uncaught.js");
  Process p({zinnia::testing::bin("zinnia").string(), "run", "uncaught.js"},
            zinnia::testing::current_env(), Process::Options{dir.path()});
  ASSERT_EQ(p.wait(std::chrono::seconds(30)), 1);
  const std::string url = "file://" + (dir.path() / "uncaught.js").string();
  EXPECT_EQ(p.err(),
            "error: Uncaught TypeError: bad value 1\n"
            "  throw new TypeError(`bad value ${value}`);\n"
            "        ^\n"
            "    at work (" +
                url +
                ":3:9)\n"
                "    at " +
                url + ":5:1\n");
}

}  // namespace

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;
using nlohmann::json;

std::filesystem::path fixture_path(const std::string& name) {
  return zinnia::compat::testing::compat_dir() / "fixtures" / name;
}

// Issue 14.6: the real zinniad's state.json ({"total_jobs_completed": N}) is read, and the
// field is written back beside our per-module totals.
TEST(Compat, StateJsonOfTheRealZinniadIsReadAndKept) {
  Daemon d{true};
  std::filesystem::create_directories(d.state().parent_path());
  std::ofstream(d.state()) << "{\n  \"total_jobs_completed\": 41\n}";
  auto p = d.start({"--no-mount", "spark=" + fixture_path("one_job.js").string()});
  ASSERT_EQ(p->wait(20s), 0) << p->err();
  auto list = events(p->out());
  ASSERT_GE(list.size(), 2u);
  EXPECT_EQ(list[1], json::parse(R"({"type":"jobs-completed","total":41,"modules":{"spark":41}})"));
  json last;
  for (const auto& e : list)
    if (e["type"] == "jobs-completed") last = e;
  EXPECT_EQ(last, json::parse(R"({"type":"jobs-completed","total":42,"modules":{"spark":42}})"));
  EXPECT_FALSE(std::filesystem::exists(d.state().string() + ".corrupt"));
  auto state = json::parse(read_file(d.state()));
  EXPECT_EQ(state["total_jobs_completed"], 42) << state.dump();
  EXPECT_EQ(state["modules"]["spark"], 42) << state.dump();
}

// Issue 14.6: -w/--wallet-address, --station-id, --state-root, --cache-root; a flag wins.
TEST(Compat, RealZinniadFlagsWinOverTheirVariables) {
  Daemon d{true};
  const std::string station(88, 'a');
  const auto state_dir = d.dir.path() / "flag-state";
  const auto cache_dir = d.dir.path() / "flag-cache";
  auto env = d.env;
  env["FIL_WALLET_ADDRESS"] = "f1fromenv";
  env["STATION_ID"] = std::string(88, 'b');
  env["STATE_ROOT"] = (d.dir.path() / "env-state").string();
  for (const auto& wallet_flag : {std::string("-w"), std::string("--wallet-address")}) {
    std::vector<std::string> args = {bin("zinniad").string(),
                                     "--no-mount",
                                     wallet_flag,
                                     "f1fromflag",
                                     "--station-id",
                                     station,
                                     "--state-root",
                                     state_dir.string(),
                                     "--cache-root=" + cache_dir.string(),
                                     "m=" + fixture_path("one_job.js").string()};
    Process p(args, env, Process::Options{.cwd = d.dir.path()});
    ASSERT_EQ(p.wait(20s), 0) << p.err();
    EXPECT_NE(p.err().find("wallet=f1fromflag station=" + station), std::string::npos) << p.err();
    EXPECT_TRUE(std::filesystem::exists(state_dir / "state.json"));
    EXPECT_FALSE(std::filesystem::exists(d.dir.path() / "env-state"));
  }
  // Without flags the variables still apply.
  Process p({bin("zinniad").string(), "--no-mount", "m=" + fixture_path("one_job.js").string()},
            env, Process::Options{.cwd = d.dir.path()});
  ASSERT_EQ(p.wait(20s), 0) << p.err();
  EXPECT_NE(p.err().find("wallet=f1fromenv station=" + std::string(88, 'b')), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(d.dir.path() / "env-state/state.json"));
}

// Issue 14.9: the first jobCompleted() is reported at once. The start-up report used to open a
// 200 ms coalescing window, so a job right at start waited for it to close.
TEST(Compat, FirstJobIsReportedAtOnce) {
  Daemon d{true};
  auto p = d.start({"--no-mount", "m=" + fixture_path("first_job.js").string()});
  // The activity event goes out as it is made, just before the job.
  ASSERT_TRUE(p->wait_out("first job now", 20s)) << p->err();
  const auto start = std::chrono::steady_clock::now();
  // While the module's only turn is still busy (1 s), the job must be out.
  ASSERT_TRUE(p->wait_out(R"("total":1,)", 900ms)) << p->out();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  ASSERT_EQ(p->wait(20s), 0);
}

// Found by SPARK's unmodified main.js under zinniad (scripts/compat-real station): it streams
// every CAR into a resizable ArrayBuffer, V8 10.2 counted each one's growth as external memory
// for ever, and after ~256 MiB retrieved in all the module was stopped "out of memory" and
// restarted (forgetting its round). Buffers that die give their count back; live ones count.
TEST(Compat, ResizableBuffersThatDieGiveTheirMemoryBack) {
  Daemon d{true};
  d.env["ZINNIA_EXTERNAL_LIMIT_MB"] = "32";
  auto p = d.start({"--no-mount", "m=" + fixture_path("rab_churn.js").string()});
  ASSERT_EQ(p->wait(60s), 0) << p->err();
  EXPECT_NE(p->out().find(R"("total":1,)"), std::string::npos) << p->out();
  EXPECT_NE(p->err().find("churned 192 MiB, kept 1048576 bytes of 0"), std::string::npos)
      << p->err();
  EXPECT_EQ(p->err().find("out of memory"), std::string::npos) << p->err();
}

TEST(Compat, ResizableBufferGrownPastTheLimitStillStopsTheModule) {
  Daemon d{true};
  d.env["ZINNIA_EXTERNAL_LIMIT_MB"] = "32";
  const auto folder = d.dir.path() / "grow";
  std::filesystem::create_directories(folder);
  std::filesystem::copy_file(fixture_path("rab_churn.js"), folder / "rab_churn.js");
  const auto module = folder / "main.js";
  std::ofstream(module) << "globalThis.GROW_PAST_LIMIT = 1;\nawait import(\"./rab_churn.js\");\n";
  auto p = d.start({"--no-mount", "m=" + module.string()});
  ASSERT_TRUE(p->wait_out("crashed (out of memory)", 60s)) << p->out() << p->err();
  EXPECT_NE(p->out().find(R"("total":1,)"), std::string::npos) << p->out();
  EXPECT_EQ(p->err().find("grew past the limit and was not stopped"), std::string::npos);
}

// The issue's measure as a whole: a module in today's style (bundled dependency, a
// fetch(new Request(...)) JSON-RPC client, a body streamed into a resizable buffer, SHA-256,
// dns/tcp error classification, Object.groupBy, a JSON import `with`) runs under zinniad
// against a loopback stand-in for its services, and completes the same jobs and submits the
// same verified measurements as under Deno (@deno/linux-x64-glibc from npm), in one test.
struct StationRun {
  std::uint64_t jobs = 0;
  std::string result;  // the module's "RESULT ..." line
  json stats;          // the server's counts
};

StationRun run_station(
    const std::function<std::unique_ptr<Process>(const std::filesystem::path&)>& start,
    bool daemon) {
  TempDir dir;
  const auto module = dir.path() / "station";
  std::filesystem::copy(zinnia::compat::testing::compat_dir() / "station", module,
                        std::filesystem::copy_options::recursive);
  const auto stats_file = dir.path() / "stats.json";
  Process server({"node", (zinnia::compat::testing::compat_dir() / "station_server.js").string(),
                  stats_file.string()},
                 current_env());
  EXPECT_TRUE(server.wait_out("PORT ", 20s)) << server.err();
  const std::string out = server.out();
  const int port = std::stoi(out.substr(out.find("PORT ") + 5));
  std::ofstream(module / "server.json") << "{\"url\": \"http://127.0.0.1:" << port << "\"}";
  auto p = start(module);
  EXPECT_EQ(p->wait(60s), 0) << p->err();
  StationRun r;
  const std::string text = daemon ? p->err() : p->out();
  if (auto at = text.find("RESULT "); at != std::string::npos)
    r.result = text.substr(at, text.find('\n', at) - at);
  if (daemon) {
    for (const auto& e : events(p->out()))
      if (e["type"] == "jobs-completed") r.jobs = e["total"].get<std::uint64_t>();
  } else if (auto at = text.find("JOBS "); at != std::string::npos) {
    r.jobs = std::stoull(text.substr(at + 5));
  }
  r.stats = json::parse(read_file(stats_file), nullptr, false);
  return r;
}

TEST(Compat, TodaysStyleModuleUnderZinniadMatchesDeno) {
  const std::filesystem::path deno = std::filesystem::path(ZINNIA_SOURCE_DIR) /
                                     "tests/peers/deno/node_modules/@deno/linux-x64-glibc/deno";
  ZINNIA_REQUIRE(std::filesystem::exists(deno), "Deno from npm (scripts/setup)");
  Daemon d{true};
  auto zinniad = run_station(
      [&](const std::filesystem::path& module) {
        return d.start({"--no-mount", "spark=" + (module / "main.js").string()});
      },
      true);
  auto with_deno = run_station(
      [&](const std::filesystem::path& module) {
        return std::make_unique<Process>(
            std::vector<std::string>{deno.string(), "run", "--allow-net", "--allow-read",
                                     (module / "deno_shim.js").string()},
            Env{{"PATH", "/usr/bin:/bin"},
                {"HOME", d.home().string()},
                {"NO_COLOR", "1"},
                {"DENO_DIR", (d.dir.path() / "deno").string()}},
            Process::Options{.cwd = module});
      },
      false);
  std::printf("zinniad: %llu jobs, %s, server %s\ndeno:    %llu jobs, %s, server %s\n",
              static_cast<unsigned long long>(zinniad.jobs), zinniad.result.c_str(),
              zinniad.stats.dump().c_str(), static_cast<unsigned long long>(with_deno.jobs),
              with_deno.result.c_str(), with_deno.stats.dump().c_str());
  EXPECT_EQ(with_deno.jobs, 12u);
  EXPECT_EQ(with_deno.stats["verified"], 12) << with_deno.stats.dump();
  EXPECT_EQ(zinniad.jobs, with_deno.jobs);
  EXPECT_EQ(zinniad.result, with_deno.result);
  EXPECT_EQ(zinniad.stats, with_deno.stats);
  EXPECT_EQ(zinniad.stats["rejected"], 0) << zinniad.stats.dump();
}

}  // namespace
}  // namespace zinnia::testing
