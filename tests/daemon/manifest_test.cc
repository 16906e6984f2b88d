#include "daemon/core/manifest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace zinnia::daemon {
namespace {
using testing::TempDir;
using testing::write_file;

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir.path() / "spark/main.js", "");
    write_file(dir.path() / "inspector.js", "");
  }
  std::filesystem::path manifest(const std::string& text) {
    auto p = dir.path() / "spin.toml";
    write_file(p, text);
    return p;
  }
  // The message of the ConfigError load_manifest throws.
  std::string error(const std::string& text) {
    try {
      load_manifest(manifest(text));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string file() const { return (dir.path() / "spin.toml").string(); }
  TempDir dir;
};

TEST_F(ManifestTest, ReadsVersion2) {
  auto m = load_manifest(manifest(R"(spin_manifest_version = 2
[application]
name = "station"

[component.spark]
source = "spark/main.js"

[component.inspector]
source = "inspector.js"
spin_monitoring = true
files = [{ source = ".spin/monitor/", destination = "/monitor" },
         { source = ".spin/config/", destination = "/config/" }]
)"));
  EXPECT_EQ(m.app, "station");
  ASSERT_EQ(m.components.size(), 2u);
  EXPECT_EQ(m.components[0].id, "spark");  // file order
  EXPECT_EQ(m.components[0].entry, dir.path() / "spark/main.js");
  EXPECT_FALSE(m.components[0].spin_monitoring);
  const auto& insp = m.components[1];
  EXPECT_EQ(insp.id, "inspector");
  EXPECT_TRUE(insp.spin_monitoring);
  ASSERT_EQ(insp.files.size(), 2u);
  EXPECT_TRUE(insp.files[0].in_tree);
  EXPECT_EQ(insp.files[0].tree_path, "monitor");
  EXPECT_EQ(insp.files[0].destination, "/monitor");
  EXPECT_EQ(insp.files[1].destination, "/config");

  auto j = nlohmann::json::parse(manifest_json(m));
  EXPECT_EQ(j["application"]["name"], "station");
  EXPECT_EQ(j["component"]["inspector"]["files"][0]["source"], ".spin/monitor/");
  // The TOML face reads back as the same manifest.
  auto again = load_manifest(manifest(manifest_toml(m)));
  EXPECT_EQ(manifest_json(again), manifest_json(m));
}

TEST_F(ManifestTest, NormalisesVersion1) {
  auto m = load_manifest(manifest(R"(spin_manifest_version = "1"
name = "old"
trigger = { type = "http" }

[[component]]
id = "spark"
source = "spark/main.js"

[[component]]
id = "inspector"
source = "inspector.js"
spin_monitoring = true
files = [{ source = ".spin/", destination = "/" }]
)"));
  EXPECT_EQ(m.app, "old");
  ASSERT_EQ(m.components.size(), 2u);
  EXPECT_EQ(m.components[1].id, "inspector");
  EXPECT_EQ(m.components[1].files[0].tree_path, "");
  EXPECT_NE(manifest_toml(m).find("spin_manifest_version = 2"), std::string::npos);
}

TEST_F(ManifestTest, SyntaxErrorNamesFileLineColumn) {
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \n"),
            file() +
                ":3:8: TOML syntax error: missing value after key-value separator '=' "
                "(expected value, but got nothing)");
}

// TOML is UTF-8. Bytes that are not are refused before parsing, with where they are: inside
// a literal string, toml11 3.7 itself read out of bounds on them (fuzz_manifest's crash).
TEST_F(ManifestTest, BytesThatAreNotUtf8AreRefusedWithWhereTheyAre) {
  const std::string head = "spin_manifest_version = 2\n[application]\n";
  EXPECT_EQ(error(head + "name = '''a\xff'''\n"),
            file() + ":3:12: not UTF-8 (byte 0xFF); a TOML file must be UTF-8");
  EXPECT_EQ(error(head + "name = 'a\xc3'\n"),
            file() + ":3:10: not UTF-8 (byte 0xC3); a TOML file must be UTF-8");
  EXPECT_EQ(error("\xed\xa0\x80 = 1\n"),  // a surrogate, as UTF-8 forbids
            file() + ":1:1: not UTF-8 (byte 0xED); a TOML file must be UTF-8");
  // Well-formed UTF-8 in a literal string is text like any other.
  EXPECT_EQ(error(head + "name = 'a'\ndescription = '''caf\xc3\xa9 \xe2\x9c\x93'''\n"
                         "[component.spark]\nsource = \"spark/main.js\"\n"),
            "(no error)");
}

TEST_F(ManifestTest, UnknownKeyNamesFileLineColumn) {
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.spark]\n"
                  "source = \"spark/main.js\"\n  sorce = \"x\"\n"),
            file() + ":6:3: unknown key 'sorce' in component 'spark'");
  EXPECT_EQ(error("spin_manifest_version = 2\nnmae = 1\n[application]\nname = \"a\"\n"),
            file() + ":2:1: unknown key 'nmae' in the manifest");
}

TEST_F(ManifestTest, BadComponentId) {
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.Spark_1]\n"
                  "source = \"spark/main.js\"\n"),
            file() +
                ":4:12: bad component id 'Spark_1' (lowercase letters, digits and '-', "
                "starting with a letter, at most 64 characters)");
}

// Issue 19 #21: a 65-character id was refused without naming the limit.
TEST_F(ManifestTest, AnIdPastSixtyFourCharactersNamesTheLimit) {
  const std::string id(65, 'a');
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component." + id +
                  "]\nsource = \"spark/main.js\"\n"),
            file() + ":4:12: bad component id '" + id +
                "' (lowercase letters, digits and '-', starting with a letter, at most 64 "
                "characters)");
}

TEST_F(ManifestTest, DuplicateIdInVersion1) {
  EXPECT_EQ(
      error("spin_manifest_version = \"1\"\nname = \"a\"\n[[component]]\nid = \"x\"\n"
            "source = \"inspector.js\"\n[[component]]\nid = \"x\"\nsource = \"inspector.js\"\n"),
      file() + ":7:7: duplicate component id 'x'");
}

TEST_F(ManifestTest, MissingSource) {
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
                  "source = \"nope.js\"\n"),
            file() + ":5:11: source 'nope.js' of component 'x' does not exist (" +
                (dir.path() / "nope.js").string() + ")");
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
                  "files = []\n"),
            file() + ":4:12: component 'x' has no 'source'");
  EXPECT_EQ(
      error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
            "source = \"inspector.js\"\nfiles = [{ source = \"data\", destination = \"/d\" }]\n"),
      file() + ":6:22: source 'data' of component 'x' does not exist (" +
          (dir.path() / "data").string() + ")");
}

// Issue 19 #13: a host source of `../../..` or `/` was accepted and the guest read
// /etc/passwd. Host sources must resolve inside the manifest's folder, symlinks included,
// compared by whole path components.
TEST_F(ManifestTest, AHostGrantMustStayInsideTheManifestsFolder) {
  namespace fs = std::filesystem;
  TempDir outside;
  fs::create_directories(outside.path() / "etc");
  fs::create_directories(dir.path() / "data/sub");
  fs::create_symlink(outside.path() / "etc", dir.path() / "link-out");
  fs::create_symlink("../../..", dir.path() / "data/sub/up");  // above the folder
  fs::create_symlink(dir.path() / "data", dir.path() / "link-in");
  const fs::path base = fs::canonical(dir.path());
  auto grant = [&](const std::string& source) {
    return error(
        "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
        "source = \"inspector.js\"\nfiles = [{ source = \"" +
        source + "\", destination = \"/d\" }]\n");
  };
  auto refused = [&](const std::string& source, const fs::path& real) {
    return file() + ":6:22: source '" + source + "' of component 'x' leads outside the " +
           "manifest's folder (" + real.string() + " is not inside " + base.string() +
           "); grant a folder inside it";
  };
  EXPECT_EQ(grant("../../.."), refused("../../..", fs::canonical(dir.path() / "../../..")));
  EXPECT_EQ(grant("/"), refused("/", "/"));
  EXPECT_EQ(grant("/etc"), refused("/etc", "/etc"));
  EXPECT_EQ(grant("link-out"), refused("link-out", fs::canonical(outside.path() / "etc")));
  EXPECT_EQ(grant("data/sub/up"), refused("data/sub/up", base.parent_path()));
  EXPECT_EQ(grant("data/../.."), refused("data/../..", base.parent_path()));
  // A sibling whose name starts with the folder's name is outside too.
  fs::create_directories(base.string() + "-sibling");
  EXPECT_EQ(grant("../" + base.filename().string() + "-sibling"),
            refused("../" + base.filename().string() + "-sibling", base.string() + "-sibling"));
  fs::remove_all(base.string() + "-sibling");

  // Inside, also through a link that stays inside: accepted, and kept in canonical form.
  for (const std::string source : {".", "data", "data/sub/", "link-in", "data/sub/../sub"}) {
    EXPECT_EQ(grant(source), "(no error)") << source;
  }
  auto m = load_manifest(manifest(
      "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
      "source = \"inspector.js\"\nfiles = [{ source = \"link-in\", destination = \"/d\" }]\n"));
  ASSERT_EQ(m.components.at(0).files.size(), 1u);
  EXPECT_EQ(m.components.at(0).files[0].host_path, base / "data");
}

// Issue 19 #21: a source that is a folder, FIFO or device read "does not exist", and a
// grant naming a file was accepted, then dropped every grant of the component at start.
TEST_F(ManifestTest, ASourceOfTheWrongKindSaysWhatItIs) {
  namespace fs = std::filesystem;
  fs::create_directories(dir.path() / "folder.js");
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
  fs::create_symlink("/dev/null", dir.path() / "dev");
  write_file(dir.path() / "data/file.txt", "x");
  auto entry = [&](const std::string& source) {
    return error(
        "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
        "source = \"" +
        source + "\"\n");
  };
  auto where = [&](const std::string& source) {
    return file() + ":5:11: source '" + source + "' of component 'x' is ";
  };
  EXPECT_EQ(entry("folder.js"), where("folder.js") + "a folder, not a JavaScript file (" +
                                    (dir.path() / "folder.js").string() + ")");
  EXPECT_EQ(entry("fifo"), where("fifo") + "a FIFO (named pipe), not a JavaScript file (" +
                               (dir.path() / "fifo").string() + ")");
  EXPECT_EQ(entry("dev"), where("dev") + "a device, not a JavaScript file (" +
                              (dir.path() / "dev").string() + ")");

  auto grant = [&](const std::string& source) {
    return error(
        "spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
        "source = \"inspector.js\"\nfiles = [{ source = \"" +
        source + "\", destination = \"/d\" }]\n");
  };
  auto not_folder = [&](const std::string& source, const std::string& kind) {
    return file() + ":6:22: source '" + source + "' of component 'x' is " + kind +
           "; a 'files' source must be a folder (" + (dir.path() / source).string() + ")";
  };
  EXPECT_EQ(grant("data/file.txt"), not_folder("data/file.txt", "a file"));
  EXPECT_EQ(grant("fifo"), not_folder("fifo", "a FIFO (named pipe)"));
}

TEST_F(ManifestTest, OverlappingDestinations) {
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
                  "source = \"inspector.js\"\nspin_monitoring = true\nfiles = [{ source = "
                  "\".spin/monitor/\", destination = "
                  "\"/m\" },\n  { source = \".spin/config/\", destination = \"/m/c\" }]\n"),
            file() + ":8:46: destination '/m/c' overlaps '/m' (line 7) in component 'x'");
  // Siblings with a common prefix do not overlap.
  EXPECT_EQ(error("spin_manifest_version = 2\n[application]\nname = \"a\"\n[component.x]\n"
                  "source = \"inspector.js\"\nspin_monitoring = true\nfiles = [{ source = "
                  "\".spin/monitor/\", destination = "
                  "\"/m\" },\n  { source = \".spin/config/\", destination = \"/mc\" }]\n"),
            "(no error)");
}

TEST_F(ManifestTest, MissingFileAndVersion) {
  try {
    load_manifest(dir.path() / "none.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir.path() / "none.toml").string() + ": manifest file does not exist");
  }
  EXPECT_EQ(error("[application]\nname = \"a\"\n"),
            file() + ":1:1: missing 'spin_manifest_version' (2, or \"1\")");
  EXPECT_EQ(error("spin_manifest_version = 3\n"),
            file() + ":1:1: unsupported 'spin_manifest_version' (2, or \"1\")");
}

TEST(ComponentName, FromPath) {
  EXPECT_EQ(component_name_from_path("spark/main.js"), "spark");
  EXPECT_EQ(component_name_from_path("a/b/spark/index.js"), "spark");
  EXPECT_EQ(component_name_from_path("ping.js"), "ping");
  EXPECT_EQ(component_name_from_path("./mods/ping.mjs"), "ping");
  EXPECT_TRUE(valid_component_id("retrieval-checker"));
  EXPECT_FALSE(valid_component_id("-x"));
  EXPECT_FALSE(valid_component_id("a--b"));
  EXPECT_FALSE(valid_component_id("9a"));
  EXPECT_FALSE(valid_component_name("../x"));
  EXPECT_FALSE(valid_component_name(".hidden"));
}

}  // namespace
}  // namespace zinnia::daemon
