// zinnia:fs end to end: real modules (V8 threads) reading a real monitor tree through their
// grants, with a sibling module writing into the tree the way the daemon does.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fusefs/guest/guest_view.h"
#include "fusefs/tree/tree.h"
#include "tests/engine/engine_harness.h"

namespace {

namespace fs = std::filesystem;
using namespace zinnia;
using engine::testing::options_for;
using engine::testing::run_file;

fs::path fixture(std::string_view name) {
  return fs::path(ZINNIA_SOURCE_DIR) / "tests/guest/fixtures" / name;
}

// Writes a module's console into its tree logs, flushing at the end of each turn.
class TreeSink : public engine::testing::RecordingSink {
 public:
  TreeSink(fusefs::Tree& tree, const std::string& component)
      : out_(tree.log(component, fusefs::Stream::kStdout)) {}
  void console(engine::Level level, std::string_view text) override {
    out_->append(std::string(text) + "\n");
    RecordingSink::console(level, text);
  }
  void turn_end() override { out_->flush(); }

 private:
  std::shared_ptr<fusefs::LogFile> out_;
};

class ZinniaFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fusefs::TreeOptions opts;
    opts.spin_root = tmp.path() / "spin";
    opts.app = "station";
    tree = std::make_unique<fusefs::Tree>(opts);
    tree->add_component("spark");
    tree->set_blob("config/station/manifest.json", R"({"name":"station"})");
    assets = tmp.path() / "assets";
    fs::create_directories(assets);
    std::ofstream(tmp.path() / "secret.txt") << "secret";
    fs::create_symlink(tmp.path() / "secret.txt", assets / "planted");
  }

  std::shared_ptr<engine::GuestFs> monitoring_fs() {
    std::vector<fusefs::guest::Grant> grants;
    grants.push_back({"/monitor", std::string("monitor"), {}});
    grants.push_back({"/config", std::string("config"), {}});
    grants.push_back({"/assets", std::nullopt, assets});
    auto view = std::make_shared<fusefs::guest::GuestView>(std::move(grants), tree.get());
    return view;
  }

  engine::testing::Run run_guest(std::string_view name, std::shared_ptr<engine::GuestFs> gfs) {
    auto opts = options_for(fixture(name));
    opts.fs = std::move(gfs);
    return run_file(fixture(name), std::move(opts));
  }

  zinnia::testing::TempDir tmp;
  std::unique_ptr<fusefs::Tree> tree;
  fs::path assets;
};

TEST_F(ZinniaFsTest, GuestReadsSiblingLogStatAndManifest) {
  auto log = tree->log("spark", fusefs::Stream::kStdout);
  log->append("checking round 7\n");
  log->flush();
  auto run = run_guest("read_sibling.js", monitoring_fs());
  ASSERT_EQ(run.exit.reason, engine::ExitReason::kFinished) << run.exit.message << run.exit.stack;
  ASSERT_EQ(run.lines.size(), 4u);
  EXPECT_EQ(run.lines[0], R"(text="checking round 7\n")");
  EXPECT_EQ(run.lines[1], "size=17 isFile=true mtime=true");
  EXPECT_EQ(run.lines[2], "root=assets/,config/,monitor/");
  EXPECT_EQ(run.lines[3], "app=station");
}

TEST_F(ZinniaFsTest, EscapesAreRefusedWithPermissionDeniedAndNoHostPath) {
  auto run = run_guest("escapes.js", monitoring_fs());
  ASSERT_EQ(run.exit.reason, engine::ExitReason::kFinished) << run.exit.message << run.exit.stack;
  ASSERT_EQ(run.lines.size(), 7u * 3 + 5 + 1);
  for (const auto& line : run.lines) {
    if (line.rfind("missing", 0) == 0) continue;
    EXPECT_EQ(line.rfind("denied", 0), 0u) << line;
  }
  EXPECT_EQ(run.lines.back(),
            "missing NotFound No such file or directory: /monitor/logs/nobody/stdout.txt");
  for (const auto& line : run.lines) {
    EXPECT_EQ(line.find(tmp.path().string()), std::string::npos) << "host path in: " << line;
  }
}

TEST_F(ZinniaFsTest, WithoutGrantsNothingIsVisible) {
  for (auto gfs : {std::shared_ptr<engine::GuestFs>(),
                   std::shared_ptr<engine::GuestFs>(std::make_shared<fusefs::guest::GuestView>(
                       std::vector<fusefs::guest::Grant>{}, tree.get()))}) {
    auto run = run_guest("read_sibling.js", gfs);
    EXPECT_EQ(run.exit.reason, engine::ExitReason::kUncaught);
    EXPECT_NE(run.exit.message.find("PermissionDenied: Permission denied: "
                                    "/monitor/logs/spark/stdout.txt"),
              std::string::npos)
        << run.exit.message;
  }
}

// The follower starts before the writer's log exists, then sees all 10,000 lines once, in
// order, while the writer (another module, another thread) logs them over many turns.
TEST_F(ZinniaFsTest, FollowSeesEveryLineOnceInOrderAndWaitsForTheFile) {
  engine::initialize_v8();
  engine::testing::RecordingSink follower_sink;
  auto follower_opts = options_for(fixture("follow.js"));
  follower_opts.fs = monitoring_fs();
  engine::Module follower(std::move(follower_opts), follower_sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(follower.done()) << "follow() must wait for the file to appear";

  tree->add_component("writer");
  TreeSink writer_sink(*tree, "writer");
  engine::Module writer(options_for(fixture("writer.js")), writer_sink);
  ASSERT_TRUE(writer_sink.wait(std::chrono::seconds(20)));
  ASSERT_TRUE(follower_sink.wait(std::chrono::seconds(20)));
  writer.join();
  follower.join();
  EXPECT_EQ(follower_sink.exit().reason, engine::ExitReason::kFinished)
      << follower_sink.exit().message << follower_sink.exit().stack;
  EXPECT_EQ(follower_sink.lines(), std::vector<std::string>{"seen=10000 bad=0"});
}

// Issue 19 #21: follow() of a folder or of status.json waited forever, `from: NaN` was taken,
// and return() on a follow waiting for an append never settled.
TEST_F(ZinniaFsTest, FollowRefusesWhatCannotGrowAndBadFromAndClosesWhileWaiting) {
  tree->set_blob("monitor/status.json", "{}");
  auto run = run_guest("follow_edges.js", monitoring_fs());
  ASSERT_EQ(run.exit.reason, engine::ExitReason::kFinished) << run.exit.message << run.exit.stack;
  const std::string from_range =
      "RangeError: zinnia:fs: follow(): 'from' must be a byte offset (a whole number from 0), "
      "got ";
  const std::string not_log =
      "NotSupported: Operation not supported (follow() reads growing logs of the monitor tree, "
      "such as stdout.txt; read other files with readFile()): ";
  EXPECT_EQ(run.lines,
            (std::vector<std::string>{
                "/monitor/logs IsADirectory: Is a directory (follow() reads a growing log file): "
                "/monitor/logs",
                "/monitor/status.json " + not_log + "/monitor/status.json",
                "/config/station/manifest.json " + not_log + "/config/station/manifest.json",
                "from NaN " + from_range + "NaN",
                "from -1 " + from_range + "-1",
                "from 1.5 " + from_range + "1.5",
                "from Infinity " + from_range + "Infinity",
                "from \"middle\" TypeError: zinnia:fs: follow(): 'from' must be \"start\", "
                "\"end\" or a byte offset, got \"middle\"",
                "return {\"value\":\"bye\",\"done\":true}",
                "pending next {\"done\":true}",
                "next after return {\"done\":true}",
            }));
}

}  // namespace

namespace {

// Issue 19 #2 and #9: readFile() is bounded, never opens a FIFO, socket or device, and one
// module's stuck reads do not hold the pool from another module.
class ZinniaFsLimitsTest : public ::testing::Test {
 protected:
  fs::path write_js(const std::string& name, std::string_view source) {
    const fs::path dir = tmp.path() / ("mod-" + name);
    fs::create_directories(dir);
    std::ofstream(dir / "main.js") << source;
    return dir / "main.js";
  }
  std::shared_ptr<engine::GuestFs> assets_fs(std::size_t read_limit) {
    std::vector<fusefs::guest::Grant> grants;
    grants.push_back({"/assets", std::nullopt, tmp.path() / "assets"});
    grants.push_back({"/monitor", std::string("monitor"), {}});
    return std::make_shared<fusefs::guest::GuestView>(std::move(grants), tree.get(), read_limit);
  }
  void SetUp() override {
    fs::create_directories(tmp.path() / "assets");
    fusefs::TreeOptions opts;
    opts.spin_root = tmp.path() / "spin";
    opts.app = "station";
    opts.window_bytes = 64 << 10;
    opts.rotate_bytes = 256 << 10;
    tree = std::make_unique<fusefs::Tree>(opts);
    tree->add_component("spark");
  }
  zinnia::testing::TempDir tmp;
  std::unique_ptr<fusefs::Tree> tree;
};

TEST_F(ZinniaFsLimitsTest, AFifoIsRefusedAtOnceAndASiblingReadsMeanwhile) {
  const fs::path fifo = tmp.path() / "assets" / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::ofstream(tmp.path() / "assets" / "ok.txt") << "fine";
  auto gfs = assets_fs(1 << 20);
  // Eight reads of the FIFO at once: before, each blocked a pool thread in open() for good.
  const auto stuck = write_js("stuck", R"js(
    import { readFile, readTextFile } from "zinnia:fs";
    const all = [];
    for (let i = 0; i < 8; i++)
      all.push((i % 2 ? readFile : readTextFile)("/assets/pipe").then(
        () => "read", (e) => `${e.name} ${e.message}`));
    for (const r of await Promise.all(all)) console.log(r);
  )js");
  const auto sibling = write_js("sibling", R"js(
    import { readTextFile } from "zinnia:fs";
    let n = 0;
    for (let i = 0; i < 50; i++) if ((await readTextFile("/assets/ok.txt")) === "fine") n++;
    console.log("sibling read", n);
  )js");
  engine::testing::RecordingSink stuck_sink, sibling_sink;
  auto o1 = options_for(stuck);
  o1.fs = gfs;
  auto o2 = options_for(sibling);
  o2.fs = gfs;
  engine::initialize_v8();
  auto m1 = std::make_unique<engine::Module>(o1, stuck_sink);
  auto m2 = std::make_unique<engine::Module>(o2, sibling_sink);
  const bool sibling_done = sibling_sink.wait(std::chrono::seconds(10));
  const bool stuck_done = stuck_sink.wait(std::chrono::seconds(10));
  if (!stuck_done) {
    // Release readers blocked in open() so the test can end.
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  }
  m1.reset();
  m2.reset();
  ASSERT_TRUE(sibling_done) << "the sibling's reads were starved";
  ASSERT_TRUE(stuck_done) << "readFile of a FIFO blocked";
  EXPECT_EQ(sibling_sink.lines(), std::vector<std::string>{"sibling read 50"});
  const auto lines = stuck_sink.lines();
  ASSERT_EQ(lines.size(), 8u);
  for (const auto& line : lines)
    EXPECT_EQ(line,
              "NotAFile Not a regular file (a FIFO, socket or device is never read): /assets/pipe");
}

TEST_F(ZinniaFsLimitsTest, ReadFileIsCappedAndSocketsAreRefused) {
  std::ofstream(tmp.path() / "assets" / "small.bin") << std::string(1 << 20, 's');
  std::ofstream(tmp.path() / "assets" / "big.bin") << std::string((1 << 20) + 1, 'b');
  // A unix socket in the grant.
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sp = (tmp.path() / "assets" / "sock").string();
  ASSERT_LT(sp.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, sp.c_str(), sp.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const auto main = write_js("caps", R"js(
    import { readFile } from "zinnia:fs";
    for (const p of ["/assets/small.bin", "/assets/big.bin", "/assets/sock"]) {
      try { console.log(p, (await readFile(p)).length); }
      catch (e) { console.log(p, e.name, e.message); }
    }
  )js");
  auto opts = options_for(main);
  opts.fs = assets_fs(1 << 20);
  auto run = run_file(main, std::move(opts));
  ::close(sock);
  ASSERT_EQ(run.exit.reason, engine::ExitReason::kFinished) << run.exit.message;
  EXPECT_EQ(run.lines, (std::vector<std::string>{
                           "/assets/small.bin 1048576",
                           "/assets/big.bin TooLarge File larger than the readFile limit: "
                           "/assets/big.bin",
                           "/assets/sock NotAFile Not a regular file (a FIFO, socket or device is "
                           "never read): /assets/sock",
                       }));
}

TEST_F(ZinniaFsLimitsTest, ALongLivedLogReadsAsItsLiveBytesNotNuls) {
  // 1 MiB through a log that rotates at 256 KiB (one older generation kept): the oldest
  // bytes are gone; readFile gives what is held, without the filler (once NULs) that stands
  // for the rest in the live file: it starts at a line the module wrote.
  auto log = tree->log("spark", fusefs::Stream::kStdout);
  std::string line;
  for (int i = 0; i < 20000; ++i) {
    line = "line " + std::to_string(i) + " " + std::string(50, 'x') + "\n";
    log->append(line);
    if (i % 256 == 255) log->flush();
  }
  log->flush();
  ASSERT_GT(log->size(), 1u << 20);
  const auto main = write_js("logs", R"js(
    import { readFile } from "zinnia:fs";
    const bytes = await readFile("/monitor/logs/spark/stdout.txt");
    const text = new TextDecoder().decode(bytes);
    const bad = bytes.indexOf(0) >= 0 || text.includes("[zinnia:") || !/^line \d+ x+\n/.test(text);
    console.log(bytes.length, bad ? 1 : -1, text.endsWith("line 19999 " + "x".repeat(50) + "\n"));
  )js");
  auto opts = options_for(main);
  opts.fs = assets_fs(64 << 20);
  auto run = run_file(main, std::move(opts));
  ASSERT_EQ(run.exit.reason, engine::ExitReason::kFinished) << run.exit.message;
  ASSERT_EQ(run.lines.size(), 1u);
  std::size_t length = 0;
  int nul_at = 0;
  char ends[8] = {};
  ASSERT_EQ(std::sscanf(run.lines[0].c_str(), "%zu %d %7s", &length, &nul_at, ends), 3)
      << run.lines[0];
  EXPECT_EQ(nul_at, -1) << "NUL bytes or filler in what readFile gave: " << run.lines[0];
  EXPECT_EQ(std::string(ends), "true");
  EXPECT_GE(length, 256u << 10);
  EXPECT_LT(length, log->size());
}

}  // namespace
