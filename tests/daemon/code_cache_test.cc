// The bootstrap's code cache on disk (engine/api/code_cache.h) through real `zinnia run`
// processes: written by the first run, consumed by the next, never trusted when corrupt, torn,
// refused by V8 or made under other V8 flags; a module runs the same in every case.
#include "engine/api/code_cache.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/daemon/e2e_util.h"

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;

struct Outcome {
  int code;
  std::string out, err;
};

class CodeCacheRun : public ::testing::Test {
 protected:
  Outcome run(std::vector<std::string> flags = {}) {
    std::vector<std::string> argv{bin("zinnia").string(), "run"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(module_.string());
    Process p(argv,
              {{"NO_COLOR", "1"},
               {"PATH", "/usr/bin:/bin"},
               {"XDG_CACHE_HOME", (dir_.path() / "xc").string()},
               {"ZINNIA_CODE_CACHE_LOG", "1"},
               // The cache is the bootstrap's path without the startup snapshot.
               {"ZINNIA_SNAPSHOT", snapshot_ ? "1" : "0"}},
              {.cwd = dir_.path()});
    const int code = p.wait(20s);
    return {code, p.out(), p.err()};
  }
  std::filesystem::path folder() const { return dir_.path() / "xc/zinnia/code-cache"; }
  bool snapshot_ = false;
  std::vector<std::filesystem::path> files() const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(folder(), ec)) out.push_back(e.path());
    return out;
  }
  static std::vector<std::uint8_t> bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void put_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& b) {
    std::ofstream(p, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  // The key a cache file names in its header (magic, format, key length, key).
  static std::string key_of(const std::vector<std::uint8_t>& b) {
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::uint32_t{b.at(12 + i)} << (8 * i);
    return {reinterpret_cast<const char*>(b.data()) + 16, n};
  }
  static void expect_hello(const Outcome& r) {
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "hello 3\n") << r.err;
  }

  void SetUp() override {
    module_ = dir_.path() / "m.js";
    // Touches the web APIs too, so their files are part of what is checked.
    write_file(module_,
               "const u = new URL('https://x.test/a?b=1');\n"
               "console.log('hello', new TextEncoder().encode(u.searchParams.get('b') + "
               "'ab').length);\n");
  }

  TempDir dir_;
  std::filesystem::path module_;
};

TEST_F(CodeCacheRun, FirstRunWritesItAndTheSecondConsumesIt) {
  const Outcome first = run();
  expect_hello(first);
  EXPECT_NE(first.err.find("no file yet"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find(" 0 consumed, 0 rejected,"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("code cache: wrote "), std::string::npos) << first.err;
  ASSERT_EQ(files().size(), 1u);
  EXPECT_EQ(files()[0].filename().string().rfind("bootstrap-", 0), 0u);

  const Outcome second = run();
  expect_hello(second);
  EXPECT_NE(second.err.find(" consumed, 0 rejected, 0 compiled"), std::string::npos) << second.err;
  EXPECT_EQ(second.err.find(" 0 consumed"), std::string::npos) << second.err;
  EXPECT_EQ(second.err.find("wrote"), std::string::npos) << "nothing new to write";
  EXPECT_EQ(second.err.find("not using"), std::string::npos) << second.err;
}

TEST_F(CodeCacheRun, CorruptOrTornFileIsRejectedAndRebuilt) {
  expect_hello(run());
  ASSERT_EQ(files().size(), 1u);
  const auto file = files()[0];
  const auto good = bytes(file);

  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;  // a damaged byte inside some entry
  put_bytes(file, flipped);
  Outcome r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find("not using " + file.string() + ": checksum mismatch"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" 0 consumed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrote " + file.string()), std::string::npos) << r.err;

  put_bytes(file, std::vector<std::uint8_t>(good.begin(), good.begin() + good.size() / 3));
  r = run();  // torn: a third of the file
  expect_hello(r);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;

  put_bytes(file, {'g', 'a', 'r', 'b', 'a', 'g', 'e'});
  r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find("not a zinnia code cache file"), std::string::npos) << r.err;

  r = run();  // rebuilt by the run before
  expect_hello(r);
  EXPECT_NE(r.err.find(" 0 rejected, 0 compiled"), std::string::npos) << r.err;
}

TEST_F(CodeCacheRun, EntriesV8RefusesAreCompiledAfreshAndReplaced) {
  expect_hello(run());
  const auto file = files().at(0);
  const auto good = bytes(file);
  const std::string key = key_of(good);
  std::vector<engine::CodeCache::Bytes> entries;
  ASSERT_EQ(engine::CodeCache::decode(key, good, entries), "");
  // Our checksum is made good again, so only V8's own check (the magic number each entry
  // starts with) stands between the damaged entries and the engine.
  std::size_t damaged = 0;
  for (auto& e : entries) {
    if (!e || damaged == 3) continue;
    auto copy = *e;
    copy.at(0) ^= 0xff;
    e = std::make_shared<const std::vector<std::uint8_t>>(std::move(copy));
    ++damaged;
  }
  ASSERT_EQ(damaged, 3u);
  put_bytes(file, engine::CodeCache::encode(key, entries));
  Outcome r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find(" 3 rejected, 0 compiled"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrote "), std::string::npos) << r.err;
  r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find(" 0 rejected, 0 compiled"), std::string::npos) << r.err;
}

TEST_F(CodeCacheRun, CacheFromOtherFlagsIsNotUsed) {
  expect_hello(run());
  ASSERT_EQ(files().size(), 1u);
  const auto plain = files()[0];

  // Other flags: another key, so another file; the first one is not read.
  Outcome r = run({"--v8-flags=--stack-size=900"});
  expect_hello(r);
  EXPECT_NE(r.err.find("no file yet"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 0 consumed"), std::string::npos) << r.err;
  ASSERT_EQ(files().size(), 2u);
  std::filesystem::path flagged = files()[0] == plain ? files()[1] : files()[0];
  EXPECT_NE(key_of(bytes(flagged)).find("--stack-size=900"), std::string::npos);

  // The plain run's file under the flagged name: its header names other flags.
  std::filesystem::copy_file(plain, flagged, std::filesystem::copy_options::overwrite_existing);
  r = run({"--v8-flags=--stack-size=900"});
  expect_hello(r);
  EXPECT_NE(r.err.find("made for another key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 0 consumed"), std::string::npos) << r.err;
  r = run({"--v8-flags=--stack-size=900"});
  expect_hello(r);
  EXPECT_NE(r.err.find(" 0 rejected, 0 compiled"), std::string::npos) << r.err;
  r = run();  // the plain file is still there and good
  EXPECT_NE(r.err.find(" 0 rejected, 0 compiled"), std::string::npos) << r.err;
}

TEST_F(CodeCacheRun, UnwritableFolderStillRuns) {
  std::filesystem::create_directories(dir_.path() / "xc");
  write_file(dir_.path() / "xc/zinnia", "a file where the folder would be");
  const Outcome r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find("code cache: cannot create "), std::string::npos) << r.err;
}

// The startup snapshot (engine/runtime/snapshot.h) is the default: no bootstrap file is
// compiled or read from the cache. Other V8 flags than the blob's: not used, and the module
// starts through the code cache instead, the same way.
TEST_F(CodeCacheRun, StartupSnapshotIsUsedUnlessTheFlagsDiffer) {
  snapshot_ = true;
  Outcome r = run();
  expect_hello(r);
  EXPECT_NE(r.err.find("startup snapshot: used ("), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("code cache: "), std::string::npos) << r.err;
  EXPECT_TRUE(files().empty());

  r = run({"--v8-flags=--stack-size=900"});
  expect_hello(r);
  EXPECT_NE(r.err.find("startup snapshot: not used: made for another key"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("code cache: 0 consumed, 0 rejected, "), std::string::npos) << r.err;
}

// zinniad keeps it under CACHE_ROOT (default ~/.cache/zinniad): the next start consumes it.
TEST(CodeCacheZinniad, KeptUnderTheCacheRootForTheNextStart) {
  Daemon d{true};
  d.env["ZINNIA_CODE_CACHE_LOG"] = "1";
  d.env["ZINNIA_SNAPSHOT"] = "0";  // the cache is the path without the startup snapshot
  d.module("m", "console.log('up'); setInterval(() => {}, 60000);\n");
  const auto folder = d.home() / ".cache/zinniad/code-cache";
  for (int start = 0; start < 2; ++start) {
    auto p = d.start({"--no-mount", "m=" + (d.app_dir() / "m.js").string()});
    ASSERT_TRUE(p->wait_err(start == 0 ? "code cache: wrote " + folder.string()
                                       : " consumed, 0 rejected, 0 compiled (" + folder.string()))
        << p->err();
    EXPECT_EQ(start == 0, p->err().find("no file yet") != std::string::npos) << p->err();
    p->kill(SIGTERM);
    EXPECT_EQ(p->wait(10s), 0) << p->err();
  }
}

TEST(CodeCacheFormat, DecodeRefusesEveryTruncation) {
  std::vector<engine::CodeCache::Bytes> entries{
      std::make_shared<const std::vector<std::uint8_t>>(100, 7), nullptr,
      std::make_shared<const std::vector<std::uint8_t>>(3, 9)};
  const auto good = engine::CodeCache::encode("k", entries);
  std::vector<engine::CodeCache::Bytes> out;
  ASSERT_EQ(engine::CodeCache::decode("k", good, out), "");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(*out[0], *entries[0]);
  EXPECT_EQ(out[1], nullptr);
  EXPECT_EQ(*out[2], *entries[2]);
  EXPECT_EQ(engine::CodeCache::decode("other", good, out),
            "made for another key (binary, V8 or flags)");
  EXPECT_TRUE(out.empty());
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_NE(engine::CodeCache::decode("k", cut, out), "") << n;
    EXPECT_TRUE(out.empty());
  }
}

}  // namespace
}  // namespace zinnia::testing
