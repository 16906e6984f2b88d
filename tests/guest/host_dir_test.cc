#include "fusefs/guest/host_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using zinnia::GuestFs;
using zinnia::fusefs::guest::HostDir;

class HostDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    granted = tmp.path() / "granted";
    fs::create_directories(granted / "sub");
    std::ofstream(granted / "hello.txt") << "hello";
    std::ofstream(granted / "sub" / "deep.txt") << "deep";
    std::ofstream(tmp.path() / "secret.txt") << "secret";
    fs::create_symlink(tmp.path() / "secret.txt", granted / "abs-link");
    fs::create_symlink("../secret.txt", granted / "rel-link");
    fs::create_symlink("/etc", granted / "etc-link");
    fs::create_symlink("sub/deep.txt", granted / "inner-link");
  }
  zinnia::testing::TempDir tmp;
  fs::path granted;
};

TEST_F(HostDirTest, ReadsFilesInside) {
  HostDir dir(granted);
  std::string out;
  ASSERT_EQ(dir.read_all("hello.txt", out), GuestFs::Error::kOk);
  EXPECT_EQ(out, "hello");
  ASSERT_EQ(dir.read("sub/deep.txt", 1, 2, out), GuestFs::Error::kOk);
  EXPECT_EQ(out, "ee");
  ASSERT_EQ(dir.read_all("inner-link", out),
            GuestFs::Error::kOk);  // a link that stays inside is fine
  EXPECT_EQ(out, "deep");
  GuestFs::Stat st;
  ASSERT_EQ(dir.stat("hello.txt", st), GuestFs::Error::kOk);
  EXPECT_EQ(st.size, 5u);
  EXPECT_TRUE(st.is_file);
  ASSERT_EQ(dir.stat("", st), GuestFs::Error::kOk);
  EXPECT_TRUE(st.is_directory);
}

TEST_F(HostDirTest, SymlinksPlantedInsideCannotLeadOut) {
  HostDir dir(granted);
  std::string out;
  EXPECT_EQ(dir.read_all("abs-link", out), GuestFs::Error::kPermissionDenied);
  EXPECT_EQ(dir.read_all("rel-link", out), GuestFs::Error::kPermissionDenied);
  EXPECT_EQ(dir.read_all("etc-link/passwd", out), GuestFs::Error::kPermissionDenied);
  GuestFs::Stat st;
  EXPECT_EQ(dir.stat("abs-link", st), GuestFs::Error::kPermissionDenied);
  EXPECT_EQ(dir.read_all("../secret.txt", out), GuestFs::Error::kPermissionDenied);
  EXPECT_TRUE(out.empty() || out.find("secret") == std::string::npos);
}

TEST_F(HostDirTest, MissingAndWrongKinds) {
  HostDir dir(granted);
  std::string out;
  EXPECT_EQ(dir.read_all("nope.txt", out), GuestFs::Error::kNotFound);
  EXPECT_EQ(dir.read_all("sub", out), GuestFs::Error::kIsADirectory);
  std::vector<GuestFs::Entry> entries;
  EXPECT_EQ(dir.list("hello.txt", entries), GuestFs::Error::kNotADirectory);
}

TEST_F(HostDirTest, ListsEntriesWithKinds) {
  HostDir dir(granted);
  std::vector<GuestFs::Entry> entries;
  ASSERT_EQ(dir.list("", entries), GuestFs::Error::kOk);
  std::map<std::string, std::pair<bool, bool>> got;
  for (const auto& e : entries) got[e.name] = {e.is_file, e.is_directory};
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(got["hello.txt"], std::make_pair(true, false));
  EXPECT_EQ(got["sub"], std::make_pair(false, true));
  EXPECT_EQ(got["inner-link"], std::make_pair(true, false));
  EXPECT_EQ(got["abs-link"], std::make_pair(false, false));  // leads out: neither
}

TEST_F(HostDirTest, MissingFolderThrowsWithItsPath) {
  try {
    HostDir dir(tmp.path() / "absent");
    FAIL() << "no throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos) << e.what();
  }
}

}  // namespace
