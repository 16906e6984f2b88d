#include "fusefs/guest/guest_view.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace zinnia::fusefs;
using guest::Grant;
using guest::GuestView;
using zinnia::GuestFs;

class GuestViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TreeOptions opts;
    opts.spin_root = tmp.path() / "spin";
    opts.app = "station";
    tree = std::make_unique<Tree>(opts);
    tree->add_component("spark");
    tree->set_blob("config/station/manifest.json", R"({"name":"station"})");
    host = tmp.path() / "assets";
    fs::create_directories(host);
    std::ofstream(host / "data.txt") << "data";
    std::ofstream(tmp.path() / "outside.txt") << "outside";
    fs::create_symlink(tmp.path() / "outside.txt", host / "planted");
  }

  GuestView monitoring_view() {
    std::vector<Grant> grants;
    grants.push_back(Grant{"/monitor", std::string("monitor"), {}});
    grants.push_back(Grant{"/config", std::string("config"), {}});
    grants.push_back(Grant{"/assets", std::nullopt, host});
    return GuestView(std::move(grants), tree.get());
  }

  void log_line(const std::string& text) {
    auto log = tree->log("spark", Stream::kStdout);
    log->append(text + "\n");
    log->flush();
  }

  zinnia::testing::TempDir tmp;
  std::unique_ptr<Tree> tree;
  fs::path host;
};

TEST_F(GuestViewTest, ReadsASiblingsLogAndTheManifest) {
  auto view = monitoring_view();
  log_line("hello from spark");
  std::string out;
  ASSERT_EQ(view.read_file("/monitor/logs/spark/stdout.txt", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, "hello from spark\n");
  ASSERT_EQ(view.read_file("/config/station/manifest.json", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, R"({"name":"station"})");
  ASSERT_EQ(view.read_file("/assets/data.txt", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, "data");
  GuestFs::Stat st;
  ASSERT_EQ(view.stat("/monitor/logs/spark/stdout.txt", st), GuestFs::Error::kOk);
  EXPECT_EQ(st.size, 17u);
  EXPECT_TRUE(st.is_file);
}

TEST_F(GuestViewTest, RootListsTheGrants) {
  auto view = monitoring_view();
  std::vector<GuestFs::Entry> entries;
  ASSERT_EQ(view.list("/", entries), GuestFs::Error::kOk);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "assets");
  EXPECT_EQ(entries[1].name, "config");
  EXPECT_EQ(entries[2].name, "monitor");
  ASSERT_EQ(view.list("/monitor/logs", entries), GuestFs::Error::kOk);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "spark");
}

TEST_F(GuestViewTest, EscapesAreRefusedWithPermissionDenied) {
  auto view = monitoring_view();
  std::string out;
  for (const std::string& path : std::vector<std::string>{
           "../", "/monitor/../../etc/passwd", "/monitor/%2e%2e/%2e%2e/etc/passwd",
           "/assets/planted", "/assets/../outside.txt", "/etc/passwd", "/spin",
           std::string("/monitor/logs\0/x", 16), "/monitor/\xff"}) {
    EXPECT_EQ(view.read_file(path, out), GuestFs::Error::kPermissionDenied) << path;
    GuestFs::Stat st;
    EXPECT_EQ(view.stat(path, st), GuestFs::Error::kPermissionDenied) << path;
  }
  EXPECT_EQ(view.read_file("/monitor/logs/nobody/stdout.txt", out), GuestFs::Error::kNotFound);
}

TEST_F(GuestViewTest, WithoutGrantsNothingIsVisible) {
  GuestView view({}, tree.get());
  std::string out;
  std::vector<GuestFs::Entry> entries;
  EXPECT_EQ(view.list("/", entries), GuestFs::Error::kPermissionDenied);
  EXPECT_EQ(view.read_file("/monitor/logs/spark/stdout.txt", out),
            GuestFs::Error::kPermissionDenied);
  EXPECT_EQ(view.read_file("/does/not/exist", out), GuestFs::Error::kPermissionDenied);
}

TEST_F(GuestViewTest, WatchWakesOnAppendsAndOnAppearance) {
  auto view = monitoring_view();
  std::atomic<int> spark{0}, later{0};
  std::unique_ptr<GuestFs::Subscription> w1, w2;
  ASSERT_EQ(view.watch(
                "/monitor/logs/spark/stdout.txt", [&] { ++spark; }, w1),
            GuestFs::Error::kOk);
  ASSERT_EQ(view.watch(
                "/monitor/logs/later/stdout.txt", [&] { ++later; }, w2),
            GuestFs::Error::kOk);
  log_line("one");
  EXPECT_GE(spark.load(), 1);
  tree->add_component("later");
  auto log = tree->log("later", Stream::kStdout);
  log->append("first\n");
  log->flush();
  EXPECT_GE(later.load(), 1);
  std::unique_ptr<GuestFs::Subscription> w3;
  EXPECT_EQ(view.watch(
                "/assets/data.txt", [] {}, w3),
            GuestFs::Error::kNotSupported);
  EXPECT_EQ(view.watch(
                "/etc/passwd", [] {}, w3),
            GuestFs::Error::kPermissionDenied);
}

TEST_F(GuestViewTest, OverlappingDestinationsAreRefused) {
  std::vector<Grant> grants;
  grants.push_back(Grant{"/monitor", std::string("monitor"), {}});
  grants.push_back(Grant{"/monitor/logs", std::string("monitor/logs"), {}});
  EXPECT_THROW(GuestView(std::move(grants), tree.get()), std::invalid_argument);
  std::vector<Grant> relative;
  relative.push_back(Grant{"monitor", std::string("monitor"), {}});
  EXPECT_THROW(GuestView(std::move(relative), tree.get()), std::invalid_argument);
}

// Issue 19 #16: a grant at "/" once dropped the first character of every path below it.
TEST_F(GuestViewTest, AGrantAtRootKeepsEveryCharacterOfThePath) {
  std::vector<Grant> host_grants;
  host_grants.push_back(Grant{"/", std::nullopt, host});
  GuestView host_view(std::move(host_grants), tree.get());
  std::string out;
  ASSERT_EQ(host_view.read_file("/data.txt", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, "data");

  std::vector<Grant> tree_grants;
  tree_grants.push_back(Grant{"/", std::string("config"), {}});
  GuestView tree_view(std::move(tree_grants), tree.get());
  ASSERT_EQ(tree_view.read_file("/station/manifest.json", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, R"({"name":"station"})");
  std::vector<GuestFs::Entry> entries;
  ASSERT_EQ(tree_view.list("/station", entries), GuestFs::Error::kOk);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "manifest.json");
}

}  // namespace
