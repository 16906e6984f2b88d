// Bad input and file modes against a real zinniad process: clear errors with exit 2, or
// byte-exact persistence; state 0600, log folders 0700; links planted as logs not followed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/support/daemon_harness.h"
#include "tests/support/fuse_required.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

TEST(DaemonInput, EnvValuesWithNewlinesAreUsageErrors) {
  Daemon d;
  d.module("a", "console.log('never');\n");
  struct Case {
    const char* var;
    std::string value;
  };
  for (const Case& c :
       {Case{"FIL_WALLET_ADDRESS", "0xabc\nforged line"}, Case{"FIL_WALLET_ADDRESS", "0xabc\r"},
        Case{"STATION_ID", std::string(87, 'a') + "\n"},
        Case{"STATION_ID", std::string(44, 'a') + "\n" + std::string(43, 'a')}}) {
    Env env = d.env;
    env[c.var] = c.value;
    Process p(d.argv({"a"}, false), env, {});
    EXPECT_EQ(p.wait(), 2) << c.var;
    EXPECT_NE(p.err().find(c.var), std::string::npos) << p.err();
    EXPECT_EQ(p.out(), "") << "nothing on stdout for a usage error";
    // One line of error, not the forged line echoed back as a second record.
    EXPECT_EQ(count_of(p.err(), "\n"), 1u) << p.err();
    EXPECT_FALSE(fs::exists(d.log("a"))) << "no module ran";
  }
}

TEST(DaemonInput, TenMiBManifestIsAClearError) {
  Daemon d;
  d.module("a", "console.log(1);\n");
  std::string text =
      "spin_manifest_version = 2\n[application]\nname = \"big\"\n[component.a]\nsource = "
      "\"a.js\"\n";
  text += "x = " + std::string(5 << 20, '[') + std::string(5 << 20, ']') + "\n";
  write_file(d.app_dir() / "spin.toml", text);
  std::vector<std::string> argv = {
      bin("zinniad").string(), "--no-mount", "--spin-root",
      d.spin_root().string(),  "--manifest", (d.app_dir() / "spin.toml").string()};
  Process p(argv, d.env, {});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_NE(p.err().find("spin.toml"), std::string::npos) << p.err().substr(0, 300);
  EXPECT_LT(p.err().size(), 4096u) << "the message should not repeat the input";
}

// What a module prints reaches the persisted file byte for byte: NUL bytes, replacement
// characters for lone surrogates, a 16 MiB line; and the daemon's stderr gets the same
// records.
TEST(DaemonInput, OddBytesAndAHugeLineArePersistedByteExact) {
  Daemon d;
  d.module("odd", R"js(
    console.log("nul\0in\0line");
    console.log("lone \uD800 surrogate");
    console.log("multi\nline");
    console.warn("warn \u00e9");
    console.log("x".repeat(16 << 20));
    console.log("end");
  )js");
  Process p(d.argv({"odd"}, false), d.env, {});
  ASSERT_EQ(p.wait(std::chrono::seconds(20)), 0) << p.err().substr(0, 2000);
  const std::string out = read_file(d.log("odd"));
  const std::string expected = "nul\0in\0line\n"s + "lone \xEF\xBF\xBD surrogate\n" +
                               "multi\nline\n" + std::string(16 << 20, 'x') + "\nend\n";
  ASSERT_EQ(out.size(), expected.size());
  EXPECT_TRUE(out == expected);
  EXPECT_EQ(read_file(d.log("odd", "stderr.txt")), "warn \xC3\xA9\n");
  // stderr carries the same text (the records add a prefix).
  EXPECT_NE(p.err().find("module:odd] nul\0in\0line"s), std::string::npos);
  EXPECT_NE(p.err().find(std::string(16 << 20, 'x')), std::string::npos);
}

TEST(DaemonInput, StateFilesAre0600AndLogFolders0700) {
  Daemon d;
  d.module("spark", "Zinnia.jobCompleted(); console.log('one'); console.error('two');\n");
  ::umask(022);  // the usual umask: anything more open than 0600/0700 is the daemon's doing
  Process p(d.argv({"spark"}, false), d.env, {});
  ASSERT_EQ(p.wait(), 0) << p.err();
  auto mode = [](const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(d.state_root() / "state.json"), 0600u);
  EXPECT_EQ(mode(d.log("spark").parent_path()), 0700u);
  EXPECT_EQ(mode(d.log("spark")), 0600u);
  EXPECT_EQ(mode(d.log("spark", "stderr.txt")), 0600u);
  // Nothing under the spin-root or the state root is readable by group or others below
  // the component folders.
  for (const auto& e : fs::recursive_directory_iterator(d.spin_root() / "zinniad/logs/spark"))
    EXPECT_EQ(mode(e.path()) & 077, 0u) << e.path();
  for (const auto& e : fs::recursive_directory_iterator(d.state_root())) {
    if (e.is_regular_file()) {
      EXPECT_EQ(mode(e.path()) & 077, 0u) << e.path();
    }
  }
}

// Issue 19 #11, end to end: links planted as a component's logs before the start. zinniad
// neither appends to their target nor serves it on the mount; it replaces the links and says
// so on stderr.
TEST(DaemonInput, ALinkPlantedAsALogIsReplacedNeverFollowed) {
  ZINNIA_REQUIRE_FUSE();
  Daemon d;
  const fs::path target = d.dir.path() / "target.txt";
  write_file(target, "TARGET\n");
  fs::create_directories(d.log("spark").parent_path());
  fs::create_symlink(target, d.log("spark"));
  fs::create_symlink(target, d.log("spark", "stderr.txt"));
  d.module("spark", "console.log('mine'); console.error('oops'); setInterval(() => {}, 1000);\n");
  MountGuard guard{d.mountpoint()};
  Process p(d.argv({"spark"}, true), d.env, {});
  const fs::path live = d.mountpoint() / "monitor/logs/spark/stdout.txt";
  ASSERT_TRUE(p.wait_until([&](auto&, auto&) { return read_file(live) == "mine\n"; })) << p.err();
  EXPECT_EQ(read_file(d.mountpoint() / "monitor/logs/spark/stderr.txt"), "oops\n");
  p.kill(SIGTERM);
  ASSERT_EQ(p.wait(std::chrono::seconds(10)), 0) << p.err();
  EXPECT_EQ(read_file(target), "TARGET\n");
  EXPECT_FALSE(fs::is_symlink(d.log("spark")));
  EXPECT_EQ(read_file(d.log("spark")), "mine\n");
  EXPECT_EQ(read_file(d.log("spark", "stderr.txt")), "oops\n");
  EXPECT_NE(p.err().find(d.log("spark").string() + " was a symbolic link to " + target.string() +
                         "; replaced it with a new log file"),
            std::string::npos)
      << p.err();
}

}  // namespace
}  // namespace zinnia::testing
