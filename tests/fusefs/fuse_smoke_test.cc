// Mounts a minimal low-level FUSE filesystem for real, reads a file through the kernel,
// and unmounts: proves libfuse, /dev/fuse and the mount path work on this machine.
#include <fuse_lowlevel.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/fuse_required.h"
#include "tests/support/temp_dir.h"

namespace {

constexpr char kContent[] = "hello from fuse\n";
constexpr fuse_ino_t kFileIno = 2;

void fill_attr(fuse_ino_t ino, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = ino;
  if (ino == FUSE_ROOT_ID) {
    st->st_mode = S_IFDIR | 0500;
    st->st_nlink = 2;
  } else {
    st->st_mode = S_IFREG | 0400;
    st->st_nlink = 1;
    st->st_size = sizeof(kContent) - 1;
  }
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent != FUSE_ROOT_ID || std::strcmp(name, "hello") != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = kFileIno;
  fill_attr(kFileIno, &e.attr);
  fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  fill_attr(ino, &st);
  fuse_reply_attr(req, &st, 0);
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
  const size_t len = sizeof(kContent) - 1;
  if (static_cast<size_t>(off) >= len) {
    fuse_reply_buf(req, nullptr, 0);
    return;
  }
  fuse_reply_buf(req, kContent + off, std::min(size, len - static_cast<size_t>(off)));
}

TEST(FuseSmoke, MountsReadsAndUnmounts) {
  ZINNIA_REQUIRE_FUSE();
  zinnia::testing::TempDir dir;
  const std::string mnt = (dir.path() / "mnt").string();
  ASSERT_EQ(::mkdir(mnt.c_str(), 0700), 0);

  fuse_lowlevel_ops ops{};
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.read = op_read;
  const char* argv[] = {"fuse_smoke", "-o", "ro,default_permissions,fsname=zinnia-smoke"};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), nullptr);
  ASSERT_NE(se, nullptr);
  ASSERT_EQ(fuse_session_mount(se, mnt.c_str()), 0) << "mount " << mnt;
  std::thread loop([se] { fuse_session_loop(se); });

  struct stat st;
  ASSERT_EQ(::stat((mnt + "/hello").c_str(), &st), 0) << std::strerror(errno);
  EXPECT_EQ(st.st_size, static_cast<off_t>(sizeof(kContent) - 1));
  {
    // Closed before unmounting: a file left open keeps the detached mount alive, and closing
    // it at exit would wait on a FUSE server that is already gone.
    std::ifstream in(mnt + "/hello");
    std::stringstream got;
    got << in.rdbuf();
    EXPECT_EQ(got.str(), kContent);
  }
  EXPECT_NE(::stat((mnt + "/missing").c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);

  // Unmount while the session fd is still open: the kernel then aborts the connection and
  // the loop's blocking read returns. (fuse_session_unmount closes the fd first, which does
  // not wake a thread blocked in read.)
  fuse_session_exit(se);
  ASSERT_EQ(::umount2(mnt.c_str(), MNT_DETACH), 0) << std::strerror(errno);
  loop.join();
  fuse_session_unmount(se);
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);

  // Unmounted: the directory is an ordinary empty directory again.
  ASSERT_EQ(::stat((mnt + "/hello").c_str(), &st), -1);
}

}  // namespace
