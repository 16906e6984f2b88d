// zinniad end to end: real processes, pipes, files (and a FUSE mount where noted).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>

#include "tests/daemon/e2e_util.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;
using nlohmann::json;

// A whole stderr record "[YYYY-MM-DDTHH:MM:SSZ <rest>" at a line start.
bool has_record(const std::string& err, const std::string& rest) {
  const std::string shape = "[dddd-dd-ddTdd:dd:ddZ ";
  for (auto pos = err.find(rest); pos != std::string::npos; pos = err.find(rest, pos + 1)) {
    if (pos < shape.size()) continue;
    const auto start = pos - shape.size();
    if (start != 0 && err[start - 1] != '\n') continue;
    bool match = true;
    for (std::size_t i = 0; i < shape.size() && match; ++i)
      match = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(err[start + i])) != 0
                              : err[start + i] == shape[i];
    if (match) return true;
  }
  return false;
}

TEST(Zinniad, RunsModulesReportsEventsAndPersistsLogs) {
  Daemon d(/*fast_restarts=*/true);
  auto p = d.start(
      {"--no-mount", "a=" + fixture("jobs_a.js").string(), "b=" + fixture("jobs_b.js").string()});
  ASSERT_EQ(p->wait(10s), 0) << p->err();
  auto list = events(p->out());
  ASSERT_GE(list.size(), 4u);
  EXPECT_EQ(list[0], json::parse(R"({"type":"activity:started","module":null})"));
  EXPECT_EQ(list[1], json::parse(R"({"type":"jobs-completed","total":0,"modules":{"a":0,"b":0}})"));
  EXPECT_EQ(count_of(p->out(), "activity:started"), 1u);
  auto info = messages(list, "activity:info");
  EXPECT_NE(std::find(info.begin(), info.end(), "a: a: last job done"), info.end());
  EXPECT_NE(std::find(info.begin(), info.end(), "a: a exited"), info.end());
  EXPECT_NE(std::find(info.begin(), info.end(), "b: b exited"), info.end());
  EXPECT_EQ(messages(list, "activity:error"),
            std::vector<std::string>{"b: b: something to report"});
  json last;
  for (const auto& e : list)
    if (e["type"] == "jobs-completed") last = e;
  EXPECT_EQ(last, json::parse(R"({"type":"jobs-completed","total":8,"modules":{"a":5,"b":3}})"));

  // Logs: persisted, one line per console call, by stream.
  EXPECT_EQ(read_file(d.logs() / "a/stdout.txt"), "a job 1\na job 2\na job 3\na job 4\na job 5\n");
  EXPECT_EQ(read_file(d.logs() / "b/stderr.txt"), "b did 3 jobs\n");
  EXPECT_EQ(read_file(d.logs() / "b/stdout.txt"), "b bye\n");
  // stderr: the zinniad format, byte for byte.
  const std::string err = p->err();
  EXPECT_TRUE(has_record(err, "WARN  module:b] b did 3 jobs\n")) << err;
  EXPECT_TRUE(has_record(err, "INFO  module:a] a job 5\n"));
  EXPECT_EQ(err.find("WARN  zinniad] STATION_ID is not set"), 22u);
  EXPECT_TRUE(has_record(err, "WARN  zinniad] STATION_ID is not set"));
  // state.json
  auto state = json::parse(read_file(d.state()));
  EXPECT_EQ(state["total"], 8);
  struct stat st {};
  ASSERT_EQ(::stat(d.state().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Zinniad, TotalsArriveWithin200msOfTheLastJob) {
  Daemon d(/*fast_restarts=*/true);
  auto p = d.start({"--no-mount", "a=" + fixture("jobs_a.js").string()});
  ASSERT_TRUE(p->wait_out("a: last job done"));
  const auto seen = std::chrono::steady_clock::now();
  // The module stays up 1.2 s more: the totals must come from the ticker, not from the exit.
  ASSERT_TRUE(p->wait_out(R"("total":5,)", 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - seen, 600ms);  // 200 ms + slack on a busy box
  ASSERT_EQ(p->wait(10s), 0);
}

TEST(Zinniad, StateSurvivesRestartsAndSigkill) {
  Daemon d(/*fast_restarts=*/true);
  {
    auto p = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
    ASSERT_TRUE(p->wait_out(R"("total":4,)"));
    p->kill(SIGTERM);
    ASSERT_EQ(p->wait(5s), 0);
  }
  {
    auto p = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
    ASSERT_TRUE(p->wait_out(R"("total":8,)"));
    // Persisted along with the event: SIGKILL now loses nothing.
    ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
      try {
        return json::parse(read_file(d.state()))["total"] == 8;
      } catch (...) {
        return false;
      }
    }));
    p->kill(SIGKILL);
    EXPECT_EQ(p->wait(5s), -SIGKILL);
  }
  EXPECT_EQ(json::parse(read_file(d.state()))["total"], 8);
  auto p = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
  ASSERT_TRUE(p->wait_out(R"("total":12,)"));
  auto list = events(p->out());
  ASSERT_GE(list.size(), 2u);
  EXPECT_EQ(list[1], json::parse(R"({"type":"jobs-completed","total":8,"modules":{"p":8}})"));
  p->kill(SIGINT);
  EXPECT_EQ(p->wait(5s), 0);
}

// Issue 19 #4: a second instance on the same spin-root and app would append to the first's
// logs and race on state.json; it must exit 2 naming the pid that holds the lock.
TEST(Zinniad, ASecondInstanceOnTheSameAppExitsTwoNamingThePid) {
  Daemon d(/*fast_restarts=*/true);
  auto first = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
  ASSERT_TRUE(first->wait_out(R"("total":4,)"));
  auto second = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
  EXPECT_EQ(second->wait(10s), 2);
  EXPECT_NE(second->err().find("another zinniad (pid " + std::to_string(first->pid()) + ")"),
            std::string::npos)
      << second->err();
  EXPECT_TRUE(first->running());
  first->kill(SIGTERM);
  ASSERT_EQ(first->wait(5s), 0);
  // The lock goes with the process: a third instance starts.
  auto third = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
  ASSERT_TRUE(third->wait_out(R"("total":8,)"));
  third->kill(SIGTERM);
  EXPECT_EQ(third->wait(5s), 0);
}

// Issue 19 #20: when the Station (stdout's reader) dies, zinniad stops cleanly, as the real
// zinniad does, instead of running on with no one to report to.
TEST(Zinniad, StopsCleanlyWhenStdoutsReaderIsGone) {
  Daemon d(/*fast_restarts=*/true);
  d.module("jobs",
           "console.error('ready');\n"
           "for (;;) { Zinnia.jobCompleted(); await new Promise(r => setTimeout(r, 20)); }");
  auto args = d.argv({"jobs"}, /*mount=*/false);
  Process p(args, d.env, Process::Options{.cwd = d.dir.path(), .read_stdout = false});
  ASSERT_TRUE(eventually([&] {
    std::error_code ec;
    return std::filesystem::exists(d.log("jobs", "stderr.txt"), ec) &&
           read_file(d.log("jobs", "stderr.txt")).find("ready") != std::string::npos;
  })) << p.err();
  p.close_stdout();
  EXPECT_EQ(p.wait(10s), 0) << p.err();
  EXPECT_NE(p.err().find("stdout was closed (the Station is gone); stopping"), std::string::npos)
      << p.err();
}

// Issue 19 #21: a STATE_ROOT that cannot be used is an error naming the variable.
TEST(Zinniad, AStateRootThatIsAFileNamesTheVariable) {
  Daemon d;
  write_file(d.dir.path() / "not-a-folder", "");
  d.env["STATE_ROOT"] = (d.dir.path() / "not-a-folder").string();
  auto p = d.start({"--no-mount", "p=" + fixture("persist.js").string()});
  EXPECT_EQ(p->wait(10s), 2);
  EXPECT_EQ(p->err().rfind("zinniad: STATE_ROOT: cannot open the instance lock ", 0), 0u)
      << p->err();
}

TEST(Zinniad, CrashRestartsWithBackoffWhileSiblingRuns) {
  Daemon d(/*fast_restarts=*/true);
  auto p = d.start(
      {"--no-mount", "c=" + fixture("crash.js").string(), "t=" + fixture("ticker.js").string()});
  ASSERT_TRUE(p->wait_out("c restarting in 0.4 s")) << p->out();
  p->kill(SIGTERM);
  ASSERT_EQ(p->wait(5s), 0);
  auto list = events(p->out());
  auto info = messages(list, "activity:info");
  auto errors = messages(list, "activity:error");
  const std::vector<std::string> want_info = {
      "c: c restarting in 0.1 s", "c: c restarting in 0.2 s", "c: c restarting in 0.4 s"};
  EXPECT_EQ(std::vector<std::string>(info.begin(), info.begin() + 3), want_info);
  ASSERT_GE(errors.size(), 3u);
  EXPECT_EQ(errors[0], "c: c crashed (uncaught error): Uncaught Error: boom");
  // Error and stack in the module's stderr.txt and on the daemon's stderr.
  const std::string log = read_file(d.logs() / "c/stderr.txt");
  EXPECT_EQ(log.find("Uncaught Error: boom\n    at "), 0u) << log;
  EXPECT_NE(log.find("crash.js:2:"), std::string::npos);
  EXPECT_NE(p->err().find("ERROR module:c] Uncaught Error: boom\n    at "), std::string::npos);
  EXPECT_EQ(count_of(read_file(d.logs() / "c/stdout.txt"), "crash: starting"), errors.size() + 0u);
  // The sibling kept going the whole time.
  EXPECT_GE(count_of(read_file(d.logs() / "t/stdout.txt"), "tick "), 5u);
}

TEST(Zinniad, HungAndOutOfMemoryModulesAreRestartedWhileSiblingLogs) {
  Daemon d(/*fast_restarts=*/true);
  d.env["ZINNIA_HANG_TIMEOUT_MS"] = "300";
  d.env["ZINNIA_HEAP_LIMIT_MB"] = "24";
  d.env["ZINNIA_BACKOFF_MS"] = "5000";
  auto p = d.start({"--no-mount", "h=" + fixture("hang.js").string(),
                    "o=" + fixture("oom.js").string(), "t=" + fixture("ticker.js").string()});
  ASSERT_TRUE(p->wait_out("h crashed (hung)")) << p->out() << p->err();
  ASSERT_TRUE(p->wait_out("o crashed (out of memory)")) << p->out() << p->err();
  const auto ticks = count_of(read_file(d.logs() / "t/stdout.txt"), "tick ");
  ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
    return count_of(read_file(d.logs() / "t/stdout.txt"), "tick ") >= ticks + 3;
  }));
  p->kill(SIGTERM);
  ASSERT_EQ(p->wait(5s), 0);
  auto errors = messages(events(p->out()), "activity:error");
  EXPECT_NE(std::find(errors.begin(), errors.end(),
                      "o: o crashed (out of memory): out of memory (heap limit 24 MiB)"),
            errors.end());
  EXPECT_NE(p->out().find("h restarting in 5 s"), std::string::npos);
  EXPECT_NE(read_file(d.logs() / "h/stderr.txt")
                .find("hung: one turn of JavaScript used more than 300 ms of CPU time"),
            std::string::npos);
}

TEST(Zinniad, SigtermStopsWithinTwoSecondsAndUnmounts) {
  ZINNIA_REQUIRE_FUSE();
  Daemon d(/*fast_restarts=*/true);
  const auto mnt = d.dir.path() / "mnt";
  auto p = d.start({"--mount", mnt.string(), "i=" + fixture("idle.js").string(),
                    "t=" + fixture("ticker.js").string()});
  ASSERT_TRUE(p->wait_err("monitor tree mounted at")) << p->err();
  ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
    return read_file(mnt / "monitor/logs/t/stdout.txt").find("tick 2\n") != std::string::npos;
  })) << p->err();
  EXPECT_EQ(read_file(mnt / "monitor/logs/i/stdout.txt"), "idle: up\n");
  auto manifest = json::parse(read_file(mnt / "config/zinniad/manifest.json"));
  EXPECT_EQ(manifest["component"]["i"]["source"], fixture("idle.js").string());
  EXPECT_NE(read_file(mnt / "config/zinniad/manifest.toml").find("[component.t]"),
            std::string::npos);
  auto status = json::parse(read_file(mnt / "monitor/status.json"));
  EXPECT_EQ(status["components"]["t"]["state"], "running");
  EXPECT_GT(status["components"]["t"]["heap_limit"].get<long>(), 0);

  const auto t0 = std::chrono::steady_clock::now();
  p->kill(SIGTERM);
  ASSERT_EQ(p->wait(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(read_file("/proc/self/mountinfo").find(mnt.string()), std::string::npos);
  // The persisted copy has every line that was visible.
  EXPECT_NE(read_file(d.logs() / "t/stdout.txt").find("tick 2\n"), std::string::npos);
}

TEST(Zinniad, SighupReloadsOnlyTheChangedComponent) {
  ZINNIA_REQUIRE_FUSE();
  Daemon d(/*fast_restarts=*/true);
  const auto app = d.dir.path() / "app";
  write_file(app / "one.js", "console.log('one v1'); setInterval(() => {}, 1000);\n");
  write_file(app / "two.js", "console.log('two v1'); setInterval(() => {}, 1000);\n");
  write_file(app / "three.js", "console.log('three v1'); setInterval(() => {}, 1000);\n");
  write_file(app / "spin.toml",
             "spin_manifest_version = 2\n[application]\nname = \"reload\"\n"
             "[component.one]\nsource = \"one.js\"\n[component.two]\nsource = \"two.js\"\n"
             "[component.three]\nsource = \"three.js\"\n");
  const auto mnt = d.dir.path() / "mnt";
  auto p = d.start({"--manifest", (app / "spin.toml").string(), "--mount", mnt.string()});
  ASSERT_TRUE(p->wait_err("monitor tree mounted at")) << p->err();
  json before;
  ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
    try {
      before = json::parse(read_file(mnt / "monitor/status.json"));
      return before["components"].size() == 3 &&
             before["components"]["three"]["state"] == "running";
    } catch (...) {
      return false;
    }
  }));
  // Running and past their first turn.
  ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
    return read_file(d.logs("reload") / "one/stdout.txt") == "one v1\n" &&
           read_file(d.logs("reload") / "two/stdout.txt") == "two v1\n" &&
           read_file(d.logs("reload") / "three/stdout.txt") == "three v1\n";
  }));
  write_file(app / "two.js", "console.log('two v2'); setInterval(() => {}, 1000);\n");
  p->kill(SIGHUP);
  ASSERT_TRUE(p->wait_out("two reloaded")) << p->out() << p->err();
  ASSERT_TRUE(p->wait_until([&](auto&, auto&) {
    return read_file(d.logs("reload") / "two/stdout.txt") == "two v1\ntwo v2\n";
  })) << read_file(d.logs("reload") / "two/stdout.txt")
      << "\n"
      << p->out() << p->err();
  // status.json is rewritten periodically: wait for one written after the reload.
  json after;
  ASSERT_TRUE(eventually([&] {
    after = json::parse(read_file(mnt / "monitor/status.json"));
    return after["components"]["one"]["uptime_ms"].get<long>() >
               before["components"]["one"]["uptime_ms"].get<long>() &&
           after["components"]["three"]["uptime_ms"].get<long>() >
               before["components"]["three"]["uptime_ms"].get<long>();
  }));
  for (const char* kept : {"one", "three"}) {
    EXPECT_EQ(after["components"][kept]["started_at"], before["components"][kept]["started_at"]);
    EXPECT_GT(after["components"][kept]["uptime_ms"].get<long>(),
              before["components"][kept]["uptime_ms"].get<long>());
  }
  EXPECT_NE(after["components"]["two"]["started_at"], before["components"]["two"]["started_at"]);
  EXPECT_EQ(read_file(d.logs("reload") / "one/stdout.txt"), "one v1\n");

  // Add and remove: drop "three", add "four".
  write_file(app / "four.js", "console.log('four'); setInterval(() => {}, 1000);\n");
  write_file(app / "spin.toml",
             "spin_manifest_version = 2\n[application]\nname = \"reload\"\n"
             "[component.one]\nsource = \"one.js\"\n[component.two]\nsource = \"two.js\"\n"
             "[component.four]\nsource = \"four.js\"\n");
  p->kill(SIGHUP);
  ASSERT_TRUE(p->wait_out("four added"));
  ASSERT_TRUE(p->wait_out("three removed"));
  EXPECT_EQ(count_of(p->out(), "reloaded"), 1u);
  // A broken manifest keeps the running app and says why.
  write_file(app / "spin.toml", "spin_manifest_version = 2\n[application\n");
  p->kill(SIGHUP);
  ASSERT_TRUE(p->wait_out("reload failed: "));
  EXPECT_NE(p->out().find("spin.toml:2:"), std::string::npos);
  p->kill(SIGTERM);
  EXPECT_EQ(p->wait(5s), 0);
}

// Each bad input: exit 2 and one line on stderr naming the item.
struct BadInput {
  std::vector<std::string> args;
  Env env_changes;      // "" value: unset
  std::string message;  // the whole stderr; <DIR> is the test folder
};

TEST(Zinniad, BadInputExitsTwoWithOneLine) {
  Daemon d(/*fast_restarts=*/true);
  write_file(d.dir.path() / "ok.js", "");
  write_file(d.dir.path() / "syntax.toml", "spin_manifest_version = 2\n[application]\nname = \n");
  write_file(d.dir.path() / "unknown.toml",
             "spin_manifest_version = 2\n[application]\nname = \"a\"\ncolour = 1\n");
  write_file(d.dir.path() / "badid.toml",
             "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.Bad]\nsource = "
             "\"ok.js\"\n");
  write_file(d.dir.path() / "missing.toml",
             "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\nsource = "
             "\"gone.js\"\n");
  write_file(
      d.dir.path() / "overlap.toml",
      "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\nsource = "
      "\"ok.js\"\nspin_monitoring = true\nfiles = [{ source = \".spin/\", destination = \"/\" }, "
      "{ source = \".spin/monitor/\", destination = \"/m\" }]\n");
  // Issue 19 #13: a grant of the host's root folder.
  write_file(d.dir.path() / "escape.toml",
             "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\nsource = "
             "\"ok.js\"\nfiles = [{ source = \"/\", destination = \"/host\" }]\n");
  const std::vector<BadInput> cases = {
      {{"ok.js"},
       {{"FIL_WALLET_ADDRESS", ""}},
       "zinniad: FIL_WALLET_ADDRESS is not set (the wallet address is required)\n"},
      {{"ok.js"},
       {{"STATION_ID", "xyz"}},
       "zinniad: STATION_ID must be 88 hexadecimal characters (got 3 characters, not all "
       "hexadecimal)\n"},
      {{"--frobnicate", "ok.js"}, {}, "zinniad: unknown flag '--frobnicate' (see --help)\n"},
      {{"ok.js", "--mount"}, {}, "zinniad: flag --mount needs a value\n"},
      {{"nope.js"}, {}, "zinniad: MODULE 'nope.js': file does not exist (<DIR>/nope.js)\n"},
      {{"ok.js", "ok=ok.js"},
       {},
       "zinniad: MODULE 'ok=ok.js': duplicate component name 'ok' (also from 'ok.js'; use "
       "NAME=PATH)\n"},
      {{"--manifest", "none.toml"}, {}, "zinniad: none.toml: manifest file does not exist\n"},
      {{},
       {{"ZINNIA_MANIFEST", "syntax.toml"}},
       "zinniad: syntax.toml:3:8: TOML syntax error: missing value after key-value separator "
       "'=' (expected value, but got nothing)\n"},
      {{"--manifest=unknown.toml"},
       {},
       "zinniad: unknown.toml:4:1: unknown key 'colour' in [application]\n"},
      {{"--manifest", "badid.toml"},
       {},
       "zinniad: badid.toml:4:12: bad component id 'Bad' (lowercase letters, digits and '-', "
       "starting with a letter, at most 64 characters)\n"},
      {{"--manifest", "missing.toml"},
       {},
       "zinniad: missing.toml:5:11: source 'gone.js' of component 'x' does not exist "
       "(<DIR>/gone.js)\n"},
      {{"--manifest", "escape.toml"},
       {},
       "zinniad: escape.toml:6:22: source '/' of component 'x' leads outside the manifest's "
       "folder (/ is not inside <DIR>); grant a folder inside it\n"},
      {{"--manifest", "overlap.toml"},
       {},
       "zinniad: overlap.toml:7:96: destination '/m' overlaps '/' (line 7) in component 'x'\n"},
      {{"ok.js"},
       {{"ZINNIA_LOG", "verbose"}},
       "zinniad: ZINNIA_LOG: expected error, warn, info or debug, got 'verbose'\n"},
      {{}, {}, "zinniad: no modules: give MODULE paths or --manifest PATH (see --help)\n"},
  };
  for (const auto& c : cases) {
    Daemon e(/*fast_restarts=*/true);
    Env env = d.env;
    for (const auto& [k, v] : c.env_changes) {
      if (v.empty()) {
        env.erase(k);
      } else {
        env[k] = v;
      }
    }
    std::vector<std::string> args = c.args;
    args.insert(args.begin(), bin("zinniad").string());
    Process p(args, env, {.cwd = d.dir.path()});
    EXPECT_EQ(p.wait(5s), 2) << c.message;
    std::string want = c.message;
    for (auto pos = want.find("<DIR>"); pos != std::string::npos; pos = want.find("<DIR>"))
      want.replace(pos, 5, d.dir.path().string());
    EXPECT_EQ(p.err(), want);
    EXPECT_EQ(p.out(), "");
  }
}

}  // namespace
}  // namespace zinnia::testing
