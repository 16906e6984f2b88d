// util/fd_reserve.h against the real kernel: with every fd of the process taken, opens
// through the reserve still succeed, and closes give the slot back (issue 19 #5).
#include "util/fd_reserve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace zinnia {
namespace {

// Takes every free fd below a soft limit of 64 while it lives.
struct Exhaust {
  rlimit saved{};
  std::vector<int> fds;
  Exhaust() {
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit low = saved;
    low.rlim_cur = 64;
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
  }
  ~Exhaust() {
    for (int fd : fds) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
};

int open_self() { return ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC); }

TEST(FdReserve, OpensBorrowAndClosesGiveBackWhenNoFdIsFree) {
  FdReserve reserve(4);
  ASSERT_EQ(FdReserve::available(), 4);
  Exhaust exhaust;
  ASSERT_LT(::open("/dev/null", O_RDONLY), 0);
  ASSERT_EQ(errno, EMFILE);
  {
    ReservedFd a(open_reserved(open_self));
    ReservedFd b(open_reserved(open_self));
    ASSERT_TRUE(a && b) << std::strerror(errno);
    EXPECT_EQ(FdReserve::available(), 2);
  }
  // The slots came back without ever being free: still nothing free for a plain open.
  EXPECT_EQ(FdReserve::available(), 4);
  EXPECT_LT(::open("/dev/null", O_RDONLY), 0);
  // Past the reserve, EMFILE as usual.
  std::vector<ReservedFd> all;
  for (int i = 0; i < 4; ++i) all.emplace_back(open_reserved(open_self));
  EXPECT_TRUE(all.back());
  EXPECT_LT(open_reserved(open_self), 0);
  EXPECT_EQ(errno, EMFILE);
}

TEST(FdReserve, WithoutAReserveOpensAndClosesArePlain) {
  ReservedFd fd(open_reserved(open_self));
  ASSERT_TRUE(fd);
  const int n = fd.get();
  fd.reset();
  EXPECT_EQ(::fcntl(n, F_GETFD), -1);  // closed, not kept
}

}  // namespace
}  // namespace zinnia
