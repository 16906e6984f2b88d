// Fixed bad inputs at the engine and configuration level: each gets a clear error or is
// passed on byte-exact; none crashes the process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/core/manifest.h"
#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using zinnia::testing::TempDir;

TEST(BadInput, NulBytesReachTheSinkByteExact) {
  auto run = run_js(R"js(
    console.log("a\0b");
    console.log("\0");
    console.log("tab\tcr\rend");
  )js");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message;
  ASSERT_EQ(run.lines.size(), 3u);
  EXPECT_EQ(run.lines[0], "a\0b"s);
  EXPECT_EQ(run.lines[1], "\0"s);
  EXPECT_EQ(run.lines[2], "tab\tcr\rend");
}

// JS strings are UTF-16: the only text a module can make that is not valid UTF-8 is a lone
// surrogate. It becomes U+FFFD (EF BF BD); everything around it is kept.
TEST(BadInput, LoneSurrogatesBecomeReplacementCharacters) {
  auto run = run_js(R"js(
    console.log("x\uD800y");
    console.log("\uDC00");
    console.log("ok \u00e9 \u{1F600}");
    console.log(String.fromCharCode(0xD83D));
  )js");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message;
  ASSERT_EQ(run.lines.size(), 4u);
  EXPECT_EQ(run.lines[0], "x\xEF\xBF\xBDy");
  EXPECT_EQ(run.lines[1], "\xEF\xBF\xBD");
  EXPECT_EQ(run.lines[2], "ok \xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(run.lines[3], "\xEF\xBF\xBD");
}

TEST(BadInput, SixteenMiBSingleLineArrivesWhole) {
  auto run = run_js(R"js(
    const line = "0123456789abcdef".repeat(1 << 20);
    console.log(line);
    console.log("after");
  )js");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message;
  ASSERT_EQ(run.lines.size(), 2u);
  ASSERT_EQ(run.lines[0].size(), std::size_t{16} << 20);
  EXPECT_EQ(run.lines[0].substr(0, 16), "0123456789abcdef");
  EXPECT_EQ(run.lines[0].find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(run.lines[1], "after");
}

// A module file saved in Latin-1 (or random bytes): invalid UTF-8 sequences decode as U+FFFD,
// so the module still runs; bytes that do not form JavaScript are a syntax error naming the
// file, not a crash.
TEST(BadInput, ModuleFileThatIsNotUtf8) {
  TempDir dir;
  write_file(dir.path() / "main.js", "console.log(\"caf\xE9 \xFF\xFE \xC0\xAF\");\n");
  auto run = run_file(dir.path() / "main.js");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message;
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0].substr(0, 3), "caf");
  EXPECT_NE(run.lines[0].find("\xEF\xBF\xBD"), std::string::npos);

  write_file(dir.path() / "bin.js",
             "\x7F"
             "ELF\x02\x01\x01\x00\xFF\xFE\x80\x81garbage("s);
  auto bad = run_file(dir.path() / "bin.js");
  EXPECT_EQ(bad.exit.reason, ExitReason::kUncaught);
  EXPECT_NE(bad.exit.message.find("SyntaxError"), std::string::npos) << bad.exit.message;
  EXPECT_NE((bad.exit.message + bad.exit.stack).find("bin.js"), std::string::npos)
      << bad.exit.message << "\n"
      << bad.exit.stack;
}

// A JSON module nested 100,000 levels deep: a clear error (or a value), never a crash.
TEST(BadInput, DeeplyNestedJsonModule) {
  TempDir dir;
  const std::size_t depth = 100'000;
  write_file(dir.path() / "deep.json", std::string(depth, '[') + std::string(depth, ']'));
  write_file(dir.path() / "main.js", R"js(
    import deep from "./deep.json" assert { type: "json" };
    let d = 0;
    for (let x = deep; Array.isArray(x) && x.length; x = x[0]) d++;
    console.log("depth", d);
  )js");
  auto run = run_file(dir.path() / "main.js");
  if (run.exit.reason == ExitReason::kFinished) {
    ASSERT_EQ(run.lines.size(), 1u);
    EXPECT_EQ(run.lines[0], "depth " + std::to_string(depth - 1));
  } else {
    EXPECT_EQ(run.exit.reason, ExitReason::kUncaught);
    EXPECT_NE((run.exit.message + run.exit.stack).find("deep.json"), std::string::npos)
        << run.exit.message;
  }
  // The same through JSON.parse at run time.
  auto parse = run_js(R"js(
    const text = "[".repeat(100000) + "]".repeat(100000);
    try { JSON.parse(text); console.log("parsed"); }
    catch (e) { console.log(e.name); }
  )js");
  ASSERT_EQ(parse.exit.reason, ExitReason::kFinished) << parse.exit.message;
  ASSERT_EQ(parse.lines.size(), 1u);
  EXPECT_TRUE(parse.lines[0] == "parsed" || parse.lines[0] == "RangeError") << parse.lines[0];
}

// Manifests of 10 MiB: valid but huge, or huge and broken, or deeply nested: a manifest
// or a ConfigError naming the file, never a crash.
class BigManifest : public ::testing::Test {
 protected:
  void SetUp() override { write_file(dir.path() / "a.js", "console.log(1);\n"); }
  // Returns the error text, or "" when the manifest loaded.
  std::string load(const std::string& text) {
    write_file(dir.path() / "spin.toml", text);
    try {
      daemon::load_manifest(dir.path() / "spin.toml", "spin.toml");
      return "";
    } catch (const daemon::ConfigError& e) {
      return e.what();
    }
  }
  static constexpr std::size_t kTenMiB = std::size_t{10} << 20;
  static constexpr std::string_view kHead =
      "spin_manifest_version = 2\n[application]\nname = \"big\"\n"
      "[component.a]\nsource = \"a.js\"\n";
  TempDir dir;
};

// A manifest is a few KiB: past 1 MiB it is refused before parsing (toml11 took 20 s over a
// 10 MiB string and quoted the line back in its error).
TEST_F(BigManifest, TenMiBOfCommentsIsRefusedBySize) {
  std::string text(kHead);
  while (text.size() < kTenMiB) text += "# " + std::string(100, 'c') + "\n";
  const std::string error = load(text);
  EXPECT_NE(error.find("spin.toml: manifest is larger than 1 MiB"), std::string::npos) << error;
}

TEST_F(BigManifest, TenMiBStringValueIsAClearError) {
  std::string text(kHead);
  text += "zzz = \"" + std::string(kTenMiB, 'x') + "\"\n";
  const std::string error = load(text);
  EXPECT_NE(error.find("spin.toml: manifest is larger than 1 MiB"), std::string::npos)
      << error.substr(0, 200);
  EXPECT_LT(error.size(), 4096u) << "the error should not quote 10 MiB back";
}

TEST_F(BigManifest, TenMiBOfGarbageIsAClearError) {
  std::string text;
  for (std::size_t i = 0; text.size() < kTenMiB; ++i) text += static_cast<char>((i * 7919) % 251);
  const std::string error = load(text);
  EXPECT_NE(error.find("spin.toml"), std::string::npos) << error.substr(0, 200);
}

// Deep nesting crashed the loader (toml11 recursion overflowed the stack); it is refused with
// the place where it gets too deep.
TEST_F(BigManifest, DeeplyNestedArraysAreAClearError) {
  for (std::size_t depth : {std::size_t{65}, std::size_t{1'000}, std::size_t{400'000}}) {
    std::string text(kHead);
    text += "x = " + std::string(depth, '[') + std::string(depth, ']') + "\n";
    EXPECT_EQ(load(text), "spin.toml:6:69: arrays or tables nested deeper than 64 levels") << depth;
  }
}

TEST_F(BigManifest, DeeplyNestedInlineTablesAreAClearError) {
  std::string text(kHead);
  text += "x = ";
  for (std::size_t i = 0; i < 100'000; ++i) text += "{a=";
  text += "1" + std::string(100'000, '}') + "\n";
  // The 65th '{' is at column 5 + 3 * 64.
  EXPECT_EQ(load(text), "spin.toml:6:197: arrays or tables nested deeper than 64 levels");
}

// Brackets inside strings (basic, literal, multi-line, with escaped quotes) and comments are
// not nesting: such a manifest loads.
TEST_F(BigManifest, BracketsInStringsAndCommentsAreNotNesting) {
  const std::string many(200, '[');
  const std::string text = "# " + many + "\nspin_manifest_version = 2\n[application]\n" +
                           "name = \"big\"\ndescription = \"\"\"\n" + many + "\n\\\"\"\" " + many +
                           "\n\"\"\"\nauthors = ['" + many + "', \"\\\"" + many + "\"]  # " + many +
                           "\n[component.a]\nsource = \"a.js\"\n";
  EXPECT_EQ(load(text), "") << text;
}

}  // namespace
}  // namespace zinnia::engine::testing
