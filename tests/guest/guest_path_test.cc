#include "fusefs/guest/guest_path.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using zinnia::GuestFs;
using zinnia::fusefs::guest::normalize_guest_path;

std::string norm(std::string_view p) {
  auto r = normalize_guest_path(p);
  return r.err == GuestFs::Error::kOk ? r.path
                                      : std::string("<") + zinnia::guest_fs_error_name(r.err) + ">";
}

TEST(GuestPath, ResolvesDotsAndSlashesLexically) {
  EXPECT_EQ(norm("/monitor/logs/spark/stdout.txt"), "/monitor/logs/spark/stdout.txt");
  EXPECT_EQ(norm("//monitor///logs/./spark/"), "/monitor/logs/spark");
  EXPECT_EQ(norm("/monitor/logs/../logs/x"), "/monitor/logs/x");
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm(""), "/");
  EXPECT_EQ(norm("monitor/x"), "/monitor/x");
  EXPECT_EQ(norm("/monitor/.."), "/");
  EXPECT_EQ(norm("/a/..b/c.."), "/a/..b/c..");  // dots inside names are names
}

TEST(GuestPath, RefusesEscapesAndBadBytes) {
  EXPECT_EQ(norm("../"), "<PermissionDenied>");
  EXPECT_EQ(norm("/monitor/../../etc/passwd"), "<PermissionDenied>");
  EXPECT_EQ(norm("/monitor/%2e%2e/%2e%2e/etc/passwd"), "<PermissionDenied>");
  EXPECT_EQ(norm("/monitor/%2E%2E/x"), "<PermissionDenied>");
  EXPECT_EQ(norm(std::string("/monitor/a\0b", 12)), "<PermissionDenied>");
  EXPECT_EQ(norm("/monitor/\xff\xfe"), "<PermissionDenied>");
  EXPECT_EQ(norm("/monitor/\xc0\xaf"), "<PermissionDenied>");      // overlong '/'
  EXPECT_EQ(norm("/monitor/\xed\xa0\x80"), "<PermissionDenied>");  // a surrogate
  EXPECT_EQ(norm("/" + std::string(300, 'a')), "<PermissionDenied>");
  EXPECT_EQ(norm(std::string(5000, '/') + "x"), "<PermissionDenied>");
}

TEST(GuestPath, AcceptsUtf8Names) { EXPECT_EQ(norm("/monitor/zä€😀"), "/monitor/zä€😀"); }

TEST(GuestPath, WithinComparesWholeComponents) {
  using zinnia::fusefs::guest::path_within;
  EXPECT_TRUE(path_within("/monitor", "/monitor"));
  EXPECT_TRUE(path_within("/monitor/logs", "/monitor"));
  EXPECT_FALSE(path_within("/monitorx", "/monitor"));
  EXPECT_FALSE(path_within("/mon", "/monitor"));
  EXPECT_TRUE(path_within("/anything", "/"));
}

}  // namespace
