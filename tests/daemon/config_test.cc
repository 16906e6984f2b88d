#include "daemon/core/config.h"

#include <gtest/gtest.h>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace zinnia::daemon {
namespace {
using testing::TempDir;
using testing::write_file;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir.path() / "spark/main.js", "");
    write_file(dir.path() / "ping.js", "");
    env = {{"FIL_WALLET_ADDRESS", "f1abc"}, {"HOME", (dir.path() / "home").string()}};
  }
  Config parse(std::vector<std::string> args) { return parse_config(args, env, dir.path()); }
  std::string error(std::vector<std::string> args) {
    try {
      parse(std::move(args));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  TempDir dir;
  Env env;
};

TEST_F(ConfigTest, Defaults) {
  auto c = parse({"spark/main.js", "ping.js"});
  EXPECT_EQ(c.wallet_address, "f1abc");
  EXPECT_EQ(c.station_id, std::string(88, '0'));
  EXPECT_TRUE(c.station_id_defaulted);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("STATION_ID"), std::string::npos);
  EXPECT_EQ(c.state_root, dir.path() / "home/.local/state/zinniad");
  EXPECT_EQ(c.cache_root, dir.path() / "home/.cache/zinniad");
  EXPECT_EQ(c.spin_root, dir.path() / "home/.spin");
  EXPECT_EQ(c.manifest.app, "zinniad");
  EXPECT_EQ(c.mount, dir.path() / "home/.spin/zinniad/monitor");
  ASSERT_EQ(c.manifest.components.size(), 2u);
  EXPECT_EQ(c.manifest.components[0].id, "spark");
  EXPECT_EQ(c.manifest.components[0].entry, dir.path() / "spark/main.js");
  EXPECT_EQ(c.manifest.components[1].id, "ping");
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_FALSE(c.no_mount);
}

TEST_F(ConfigTest, EnvironmentAndFlags) {
  env["STATION_ID"] = std::string(80, 'a') + "0123ABCD";
  env["XDG_STATE_HOME"] = "/xs";
  env["XDG_CACHE_HOME"] = "/xc";
  env["XDG_RUNTIME_DIR"] = "/run/user/7";
  env["ZINNIA_LOG"] = "debug";
  env["NO_COLOR"] = "1";
  auto c = parse({"--app=station", "--spin-root", "sr", "--no-mount", "p=ping.js"});
  EXPECT_FALSE(c.station_id_defaulted);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.state_root, "/xs/zinniad");
  EXPECT_EQ(c.cache_root, "/xc/zinniad");
  EXPECT_EQ(c.spin_root, dir.path() / "sr");
  EXPECT_EQ(c.manifest.app, "station");
  EXPECT_EQ(c.mount, "/run/user/7/zinniad/station");
  EXPECT_TRUE(c.no_mount);
  EXPECT_TRUE(c.no_color);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  ASSERT_EQ(c.manifest.components.size(), 1u);
  EXPECT_EQ(c.manifest.components[0].id, "p");
}

TEST_F(ConfigTest, RootDirIsTheLegacyFallback) {
  env["ROOT_DIR"] = "/r";
  env["XDG_STATE_HOME"] = "/xs";
  env["CACHE_ROOT"] = "/c";
  auto c = parse({"ping.js"});
  EXPECT_EQ(c.state_root, "/r/state");
  EXPECT_EQ(c.cache_root, "/c");
  env["STATE_ROOT"] = "/s";
  EXPECT_EQ(parse({"ping.js"}).state_root, "/s");
}

TEST_F(ConfigTest, ManifestPlusModulesAndEnvFlags) {
  write_file(dir.path() / "app/spin.toml",
             "spin_manifest_version = 2\n[application]\nname = \"station\"\n"
             "[component.spark]\nsource = \"../spark/main.js\"\n");
  env["ZINNIA_MANIFEST"] = "app/spin.toml";
  env["ZINNIA_MOUNT"] = "/mnt/x";
  auto c = parse({"ping.js"});
  EXPECT_EQ(c.manifest.app, "station");
  EXPECT_EQ(c.mount, "/mnt/x");
  ASSERT_EQ(c.manifest.components.size(), 2u);
  EXPECT_EQ(c.manifest.components[1].id, "ping");
  EXPECT_EQ(error({"spark=ping.js"}),
            "MODULE 'spark=ping.js': duplicate component name 'spark' (also from the manifest; "
            "use NAME=PATH)");
}

TEST_F(ConfigTest, EveryBadInputNamesTheItem) {
  EXPECT_EQ(error({"--bogus", "ping.js"}), "unknown flag '--bogus' (see --help)");
  EXPECT_EQ(error({"ping.js", "--manifest"}), "flag --manifest needs a value");
  EXPECT_EQ(error({"--app="}), "flag --app: empty value");
  EXPECT_EQ(error({}), "no modules: give MODULE paths or --manifest PATH (see --help)");
  EXPECT_EQ(error({"nope.js"}),
            "MODULE 'nope.js': file does not exist (" + (dir.path() / "nope.js").string() + ")");
  EXPECT_EQ(error({"spark"}),
            "MODULE 'spark': not a file (" + (dir.path() / "spark").string() + ")");
  EXPECT_EQ(error({"ping.js", "ping=spark/main.js"}),
            "MODULE 'ping=spark/main.js': duplicate component name 'ping' (also from "
            "'ping.js'; use NAME=PATH)");
  EXPECT_EQ(error({"a b=ping.js"}),
            "MODULE 'a b=ping.js': bad component name 'a b' (letters, digits, '.', '_' and "
            "'-'; use NAME=PATH)");
  EXPECT_EQ(error({"--manifest", "none.toml"}), "none.toml: manifest file does not exist");
  EXPECT_EQ(error({"--app", "a/b", "ping.js"}),
            "--app / ZINNIA_APP: bad app name 'a/b' (letters, digits, '.', '_' and '-')");

  env["STATION_ID"] = "abc";
  EXPECT_EQ(error({"ping.js"}), "STATION_ID must be 88 hexadecimal characters (got 3 characters)");
  env["STATION_ID"] = std::string(87, 'a') + "g";
  EXPECT_EQ(error({"ping.js"}),
            "STATION_ID must be 88 hexadecimal characters (got 88 characters, not all "
            "hexadecimal)");
  env.erase("STATION_ID");

  env["ZINNIA_LOG"] = "loud";
  EXPECT_EQ(error({"ping.js"}), "ZINNIA_LOG: expected error, warn, info or debug, got 'loud'");
  env.erase("ZINNIA_LOG");
  env["ZINNIA_HEAP_LIMIT_MB"] = "12x";
  EXPECT_EQ(error({"ping.js"}),
            "ZINNIA_HEAP_LIMIT_MB: expected a whole number from 1 to 65536, got '12x'");
  env.erase("ZINNIA_HEAP_LIMIT_MB");

  env.erase("FIL_WALLET_ADDRESS");
  EXPECT_EQ(error({"ping.js"}), "FIL_WALLET_ADDRESS is not set (the wallet address is required)");
}

// Issue 19 #7 and #21: a mount over a folder zinniad writes hides everything it persists for
// the whole run; a mount on a regular file used to claim success and then fail with EIO.
TEST_F(ConfigTest, AMountOverWhatZinniadWritesOrOnAFileIsRefused) {
  env["STATE_ROOT"] = (dir.path() / "state").string();
  const std::string spin = (dir.path() / "spin").string();
  for (const std::string& bad :
       {spin, spin + "/zinniad", spin + "/zinniad/logs", spin + "/zinniad/logs/x",
        dir.path().string(), (dir.path() / "state").string()}) {
    EXPECT_EQ(error({"--spin-root", spin, "--mount", bad, "ping.js"}),
              "--mount / ZINNIA_MOUNT: " + bad +
                  " would hide what zinniad writes (the logs under " + spin +
                  "/zinniad/logs and the state in " + (dir.path() / "state").string() +
                  "); choose another folder")
        << bad;
  }
  EXPECT_EQ(error({"--spin-root", spin, "--mount", "ping.js", "ping.js"}),
            "--mount / ZINNIA_MOUNT: " + (dir.path() / "ping.js").string() + " is not a folder");
  // The default (a sibling of logs/) and an unrelated folder are fine.
  EXPECT_EQ(parse({"--spin-root", spin, "ping.js"}).mount, dir.path() / "spin/zinniad/monitor");
  EXPECT_EQ(parse({"--spin-root", spin, "--mount", spin + "/zinniad/monitor", "ping.js"}).mount,
            dir.path() / "spin/zinniad/monitor");
  EXPECT_EQ(parse({"--spin-root", spin, "--mount", "elsewhere", "ping.js"}).mount,
            dir.path() / "elsewhere");
}

// Issue 19 #19: a module path that is not UTF-8 cannot travel as JSON text; it used to kill
// the daemon with an internal json.exception. Now it is a usage error naming the argument.
TEST_F(ConfigTest, AModulePathThatIsNotUtf8IsAUsageError) {
  write_file(dir.path() / "bad\xff.js", "");
  write_file(dir.path() / "caf\xc3\xa9.js", "");
  EXPECT_EQ(error({"m=bad\xff.js"}),
            "MODULE 'm=bad\\xff.js': the path is not valid UTF-8 (rename the file or folder)");
  EXPECT_EQ(error({"m=caf\xc3.js"}),
            "MODULE 'm=caf\\xc3.js': the path is not valid UTF-8 (rename the file or folder)");
  EXPECT_EQ(parse({"m=caf\xc3\xa9.js"}).manifest.components.at(0).source, "caf\xc3\xa9.js");
}

TEST_F(ConfigTest, DoubleDashEndsFlags) {
  write_file(dir.path() / "-x.js", "");
  auto c = parse({"--", "x=-x.js"});
  ASSERT_EQ(c.manifest.components.size(), 1u);
  EXPECT_EQ(c.manifest.components[0].id, "x");
  EXPECT_EQ(error({"--", "-x.js"}),
            "MODULE '-x.js': bad component name '-x' (letters, digits, '.', '_' and '-'; use "
            "NAME=PATH)");
}

}  // namespace
}  // namespace zinnia::daemon
