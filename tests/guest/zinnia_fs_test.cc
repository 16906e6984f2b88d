// zinnia:fs end to end: real modules (V8 threads) reading a real monitor tree through their
// grants, with a sibling module writing into the tree the way the daemon does.
#include <gtest/gtest.h>

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
