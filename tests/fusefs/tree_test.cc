// The monitor tree without FUSE: layout, persistence, the memory window, restarts, errors,
// rotation, concurrency and watches, through the public API.
#include "fusefs/tree/tree.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/require.h"
#include "tests/support/temp_dir.h"

namespace zinnia::fusefs {
namespace {

namespace fs = std::filesystem;
using zinnia::testing::read_file;

std::string read_all(const Tree& t, std::string_view path, std::size_t chunk = 1 << 16) {
  std::string all, part;
  for (std::uint64_t off = 0;; off += part.size()) {
    EXPECT_FALSE(t.read(path, off, chunk, &part));
    if (part.empty()) return all;
    all += part;
  }
}

TreeOptions options(const fs::path& root, std::size_t window = 1 << 20) {
  TreeOptions o;
  o.spin_root = root;
  o.app = "station";
  o.window_bytes = window;
  return o;
}

constexpr char kOut[] = "monitor/logs/spark/stdout.txt";

TEST(Tree, LayoutPersistedFilesAndModes) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("spark");
  t.set_blob("config/station/manifest.json", "{}");
  std::vector<GuestFs::Entry> e;
  ASSERT_FALSE(t.list("", &e));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].name, "config");
  EXPECT_EQ(e[1].name, "monitor");
  EXPECT_TRUE(e[1].is_directory);
  ASSERT_FALSE(t.list("monitor/logs/spark", &e));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].name, "stderr.txt");
  EXPECT_EQ(e[1].name, "stdout.txt");
  EXPECT_TRUE(e[1].is_file);

  const fs::path file = dir.path() / "station/logs/spark/stdout.txt";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::exists(file.parent_path() / "stderr.txt"));
  t.add_component("spark");  // idempotent
  EXPECT_EQ(t.log("spark", Stream::kStdout), t.log("spark", Stream::kStdout));
  EXPECT_EQ(t.log("nope", Stream::kStdout), nullptr);
  EXPECT_THROW(t.add_component("a/b"), std::system_error);
  EXPECT_THROW(t.add_component(".."), std::system_error);
}

TEST(Tree, AppendIsVisibleOnlyAfterFlushAndPersistedFirst) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("spark");
  auto log = t.log("spark", Stream::kStdout);
  const fs::path file = dir.path() / "station/logs/spark/stdout.txt";
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  log->append("hello\n");
  GuestFs::Stat st;
  ASSERT_FALSE(t.stat(kOut, &st));
  EXPECT_EQ(st.size, 0u);
  EXPECT_EQ(read_file(file), "");
  // The writer's watch sees the bytes in the file when it fires: persisted before visible.
  std::string seen_in_file;
  auto w = t.watch(kOut, [&] { seen_in_file = read_file(file); });
  log->flush();
  EXPECT_EQ(seen_in_file, "hello\n");
  ASSERT_FALSE(t.stat(kOut, &st));
  EXPECT_EQ(st.size, 6u);
  EXPECT_TRUE(st.is_file);
  EXPECT_GE(
      st.mtime_ms,
      std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count());
  EXPECT_EQ(log->size(), 6u);
  EXPECT_EQ(read_all(t, kOut), "hello\n");
  std::string part;
  ASSERT_FALSE(t.read(kOut, 2, 2, &part));
  EXPECT_EQ(part, "ll");
  ASSERT_FALSE(t.read(kOut, 100, 2, &part));
  EXPECT_EQ(part, "");
  EXPECT_EQ(t.log("spark", Stream::kStderr)->size(), 0u);
}

TEST(Tree, AutoFlushesAQueuePast64KiB) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  std::string line(1023, 'x');
  line += '\n';
  for (int i = 0; i < 64; ++i) log->append(line);
  EXPECT_EQ(log->size(), 64u * 1024);
  EXPECT_EQ(fs::file_size(dir.path() / "station/logs/c/stdout.txt"), 64u * 1024);
}

std::string pattern(std::size_t lines, std::size_t first = 0) {
  std::string s;
  for (std::size_t i = first; i < first + lines; ++i)
    s += "line " + std::to_string(i) + std::string(i % 37, '.') + "\n";
  return s;
}

TEST(Tree, ReadsAcrossTheWindowReturnTrueBytes) {
  testing::TempDir dir;
  Tree t(options(dir.path(), 4096));
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  const std::string want = pattern(3000);
  for (std::size_t off = 0; off < want.size(); off += 777) {
    log->append(want.substr(off, 777));
    if (off % 3 == 0) log->flush();
  }
  log->flush();
  const char* p = "monitor/logs/c/stdout.txt";
  ASSERT_EQ(log->size(), want.size());
  EXPECT_EQ(read_all(t, p, 1000), want);
  // Around the boundary, small and large.
  const std::uint64_t boundary = want.size() - 4096;
  for (std::uint64_t off : {boundary - 1, boundary, boundary + 1, boundary - 500, std::uint64_t{0}})
    for (std::size_t n : {1u, 7u, 1000u, 9000u}) {
      std::string got;
      ASSERT_FALSE(t.read(p, off, n, &got));
      EXPECT_EQ(got, want.substr(off, n)) << off << "+" << n;
    }
  EXPECT_EQ(read_file(dir.path() / "station/logs/c/stdout.txt"), want);
}

TEST(Tree, RestartAppendsAfterOldBytesAndSizeStartsFromTheFile) {
  testing::TempDir dir;
  const std::string first = pattern(500), second = pattern(300, 500);
  {
    Tree t(options(dir.path(), 1024));
    t.add_component("c");
    t.log("c", Stream::kStdout)->append(first);
    t.log("c", Stream::kStdout)->flush();
  }
  Tree t(options(dir.path(), 1024));
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  EXPECT_EQ(log->size(), first.size());
  EXPECT_EQ(read_all(t, "monitor/logs/c/stdout.txt", 333), first);
  log->append(second);
  log->flush();
  EXPECT_EQ(log->size(), first.size() + second.size());
  EXPECT_EQ(read_all(t, "monitor/logs/c/stdout.txt", 333), first + second);
  EXPECT_EQ(read_file(dir.path() / "station/logs/c/stdout.txt"), first + second);
}

TEST(Tree, UnwritableLogFolderIsReportedOncePerStreamAndKeptInMemory) {
  testing::TempDir dir;
  // A file where the logs folder should be: no folder can be created there, even as root.
  fs::create_directories(dir.path() / "station");
  std::ofstream(dir.path() / "station/logs") << "in the way";
  std::vector<std::string> errors;
  std::mutex mu;
  TreeOptions o = options(dir.path());
  o.on_error = [&](const std::string& m) {
    std::lock_guard l(mu);
    errors.push_back(m);
  };
  Tree t(o);
  ASSERT_NO_THROW(t.add_component("c"));
  auto log = t.log("c", Stream::kStdout);
  for (int i = 0; i < 20; ++i) {
    log->append("line\n");
    log->flush();
  }
  t.log("c", Stream::kStderr)->append("err\n");
  t.log("c", Stream::kStderr)->flush();
  ASSERT_EQ(errors.size(), 2u);  // once for stdout, once for stderr
  EXPECT_NE(errors[0].find("station/logs/c"), std::string::npos) << errors[0];
  EXPECT_EQ(log->size(), 100u);
  std::string got;
  ASSERT_FALSE(t.read("monitor/logs/c/stdout.txt", 95, 10, &got));
  EXPECT_EQ(got, "line\n");

  // The folder becomes creatable: persistence resumes with the next flush, no new error.
  fs::remove(dir.path() / "station/logs");
  log->append("back\n");
  log->flush();
  EXPECT_EQ(read_file(dir.path() / "station/logs/c/stdout.txt"), "back\n");
  EXPECT_EQ(log->size(), 105u);
  EXPECT_EQ(errors.size(), 2u);
  // Bytes neither on disk nor in memory any more would read as NUL; here all are in memory.
  ASSERT_FALSE(t.read("monitor/logs/c/stdout.txt", 0, 5, &got));
  EXPECT_EQ(got, "line\n");
}

TEST(Tree, FullDiskIsReportedOnceAndReadsStayTrue) {
  ZINNIA_REQUIRE(::geteuid() == 0, "needs root to mount a small tmpfs");
  testing::TempDir dir;
  const fs::path disk = dir.path() / "disk";
  fs::create_directories(disk);
  ZINNIA_REQUIRE(::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64k") == 0,
                 std::string("cannot mount tmpfs: ") + std::strerror(errno));
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{disk};
  std::atomic<int> errors{0};
  TreeOptions o = options(disk, 1 << 20);
  o.on_error = [&](const std::string&) { ++errors; };
  Tree t(o);
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  const std::string want = pattern(8000);  // ~ 230 KiB, more than the disk holds
  for (std::size_t off = 0; off < want.size(); off += 1000) {
    log->append(want.substr(off, 1000));
    log->flush();
  }
  EXPECT_EQ(errors.load(), 1);
  EXPECT_EQ(log->size(), want.size());
  EXPECT_EQ(read_all(t, "monitor/logs/c/stdout.txt"), want);  // all in the 1 MiB window
  const auto persisted = read_file(disk / "station/logs/c/stdout.txt");
  EXPECT_LT(persisted.size(), want.size());
  EXPECT_EQ(persisted, want.substr(0, persisted.size()));
}

// Issue 19 #11: a link planted as stdout.txt made the tree append module output to its
// target and serve the target's bytes as the log. Below the spin-root nothing is followed:
// a link planted as a log file is replaced (the link alone; its target is never opened), a
// link planted as a folder is refused with a clear error (the log stays in memory). The
// spin-root itself may be a link: the user chose it.
TEST(Tree, SymlinksPlantedInTheLogFolderAreNeverFollowed) {
  testing::TempDir dir;
  const fs::path real_root = dir.path() / "disk/spin";
  const fs::path root = dir.path() / "spin";  // --spin-root, a link to another disk
  fs::create_directories(real_root);
  fs::create_symlink(real_root, root);
  const fs::path target = dir.path() / "target.txt", elsewhere = dir.path() / "elsewhere";
  zinnia::testing::write_file(target, "TARGET-BYTES\n");
  fs::create_directories(elsewhere);
  const fs::path folder = real_root / "station/logs/spark";
  fs::create_directories(folder);
  fs::create_symlink(target, folder / "stdout.txt");
  fs::create_symlink(target, folder / "stderr.txt");
  fs::create_symlink(elsewhere, real_root / "station/logs/evil");

  std::vector<std::string> errors;
  std::mutex mu;
  TreeOptions o = options(root);
  o.on_error = [&](const std::string& m) {
    std::lock_guard l(mu);
    errors.push_back(m);
  };
  Tree t(o);
  t.add_component("spark");
  EXPECT_EQ(read_all(t, kOut), "");  // the target's bytes are not the log
  auto log = t.log("spark", Stream::kStdout);
  log->append("line\n");
  log->flush();
  EXPECT_EQ(read_file(target), "TARGET-BYTES\n");
  EXPECT_FALSE(fs::is_symlink(folder / "stdout.txt"));
  EXPECT_TRUE(fs::is_regular_file(folder / "stdout.txt"));
  EXPECT_EQ(read_file(folder / "stdout.txt"), "line\n");
  EXPECT_EQ(read_all(t, kOut), "line\n");
  {
    std::lock_guard l(mu);
    ASSERT_EQ(errors.size(), 2u);  // stdout and stderr, once each
    EXPECT_EQ(errors[0], (root / "station/logs/spark/stdout.txt").string() +
                             " was a symbolic link to " + target.string() +
                             "; replaced it with a new log file (zinniad never writes through "
                             "links; the link's target is untouched)");
  }

  // A folder planted as a link: refused, nothing written where it points, kept in memory.
  t.add_component("evil");
  auto evil = t.log("evil", Stream::kStdout);
  evil->append("mine\n");
  evil->flush();
  EXPECT_TRUE(fs::is_empty(elsewhere));
  EXPECT_EQ(read_all(t, "monitor/logs/evil/stdout.txt"), "mine\n");
  {
    std::lock_guard l(mu);
    ASSERT_EQ(errors.size(), 4u);
    EXPECT_EQ(errors[2], (root / "station/logs/evil").string() +
                             " is a symbolic link; zinniad follows no link below the spin-root "
                             "(remove it, or set --spin-root / SPIN_ROOT to keep logs "
                             "elsewhere) (the log stays readable in memory; retrying on each "
                             "flush)");
  }
}

TEST(Tree, RotationKeepsOneOlderGeneration) {
  testing::TempDir dir;
  TreeOptions o = options(dir.path(), 1000);
  o.rotate_bytes = 10000;
  Tree t(o);
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  const std::string want = pattern(1200);  // ~ 30 KiB: rotates twice or more
  for (std::size_t off = 0; off < want.size(); off += 500) {
    log->append(want.substr(off, 500));
    log->flush();
  }
  const fs::path file = dir.path() / "station/logs/c/stdout.txt";
  const std::string cur = read_file(file), older = read_file(fs::path(file) += ".1");
  ASSERT_FALSE(older.empty());
  EXPECT_LE(cur.size(), 10000u);
  EXPECT_EQ(older + cur, want.substr(want.size() - older.size() - cur.size()));
  EXPECT_EQ(log->size(), want.size());
  // Logical offsets never shift: the last two generations read true, older bytes as text
  // (issue 19 #18: never NUL, so the live file stays "text" to grep, less and file).
  for (std::size_t chunk : {std::size_t{4096}, std::size_t{333}, std::size_t{1} << 16}) {
    const std::string all = read_all(t, "monitor/logs/c/stdout.txt", chunk);
    ASSERT_EQ(all.size(), want.size());
    const std::size_t kept = older.size() + cur.size();
    EXPECT_EQ(all.substr(all.size() - kept), want.substr(want.size() - kept));
    const std::string gone = all.substr(0, want.size() - kept);
    EXPECT_EQ(gone.find('\0'), std::string::npos);
    EXPECT_EQ(gone.rfind("[zinnia: the bytes up to the next full line are no longer kept", 0), 0u);
    EXPECT_EQ(gone.back(), '\n') << "the first kept line must start a line";
    EXPECT_EQ(gone.find_first_not_of(" \n", gone.find(']') + 1), std::string::npos);
  }
}

// An outside truncation of the persisted log (logrotate's copytruncate: copy, then cut the
// file to 0) is detected at the next write (issue 19 #8): the new bytes start a new segment
// at the truncated size, so the live file reads them true where they belong, the bytes cut
// away read as text (never NUL), and every line in the live file is in order.
TEST(Tree, OutsideTruncationStartsANewSegment) {
  testing::TempDir dir;
  const std::string want = pattern(600);
  const std::size_t cut = want.size() / 2;
  TreeOptions o = options(dir.path(), 2000);  // a small window: older bytes come from the file
  // Past this size by the log's old idea of the file, not by the truncated file: the write
  // after the truncation must not rotate (that would replace logrotate's copy at .1).
  o.rotate_bytes = cut + 200;
  Tree t(o);
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  for (std::size_t off = 0; off < cut; off += 300) {
    log->append(want.substr(off, std::min<std::size_t>(300, cut - off)));
    log->flush();
  }
  const fs::path file = dir.path() / "station/logs/c/stdout.txt";
  ASSERT_EQ(read_file(file), want.substr(0, cut));
  fs::copy_file(file, fs::path(file) += ".1");  // copytruncate
  ::truncate(file.c_str(), 0);
  log->append(want.substr(cut, 300));
  log->flush();
  EXPECT_EQ(read_file(fs::path(file) += ".1"), want.substr(0, cut)) << "logrotate's copy";
  EXPECT_EQ(read_file(file), want.substr(cut, 300));
  std::size_t in_file = 300;
  for (std::size_t off = cut + 300; off < want.size(); off += 300) {
    log->append(want.substr(off, 300));
    log->flush();
    in_file += std::min<std::size_t>(300, want.size() - off);
  }
  EXPECT_LE(fs::file_size(file), in_file);
  ASSERT_EQ(log->size(), want.size());
  for (std::size_t chunk : {std::size_t{4096}, std::size_t{777}}) {
    const std::string all = read_all(t, "monitor/logs/c/stdout.txt", chunk);
    ASSERT_EQ(all.size(), want.size());
    EXPECT_EQ(all.substr(cut), want.substr(cut)) << "the bytes after the truncation";
    EXPECT_EQ(all.find('\0'), std::string::npos);
    // Every line is either a true line of the log, in order, or filler.
    std::istringstream in(all);
    std::string line;
    std::size_t last = 0, lines = 0;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(' ') == std::string::npos || line.rfind("[zinnia:", 0) == 0)
        continue;
      const std::size_t at = want.find(line + "\n");
      ASSERT_NE(at, std::string::npos) << "a line that was never written: " << line.substr(0, 60);
      EXPECT_GE(at, last) << "out of order: " << line;
      last = at;
      ++lines;
    }
    EXPECT_EQ(lines, static_cast<std::size_t>(std::count(want.begin() + cut, want.end(), '\n')));
  }
}

TEST(Tree, ConcurrentWritersAndReadersLoseDuplicateOrTearNothing) {
  testing::TempDir dir;
  Tree t(options(dir.path(), 8192));
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  constexpr int kWriters = 8, kLines = 3000, kReaders = 4;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  std::vector<std::string> seen(kReaders);
  for (int r = 0; r < kReaders; ++r)
    threads.emplace_back([&, r] {
      std::uint64_t off = 0;
      std::string part;
      while (true) {
        bool finished = done.load() == kWriters;
        ASSERT_FALSE(t.read("monitor/logs/c/stdout.txt", off, 1 << 16, &part));
        seen[r] += part;
        off += part.size();
        if (part.empty() && finished) break;
      }
    });
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < kLines; ++i) {
        log->append("w" + std::to_string(w) + " " + std::to_string(i) + " payload\n");
        if (i % 7 == 0) log->flush();
      }
      log->flush();
      ++done;
    });
  for (auto& th : threads) th.join();
  const std::string file = read_file(dir.path() / "station/logs/c/stdout.txt");
  for (int r = 0; r < kReaders; ++r) EXPECT_EQ(seen[r], file) << "reader " << r;
  std::map<int, int> next;
  std::istringstream in(file);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    int w = -1, i = -1;
    char tail[16] = {};
    ASSERT_EQ(std::sscanf(line.c_str(), "w%d %d %15s", &w, &i, tail), 3) << line;
    ASSERT_STREQ(tail, "payload");
    ASSERT_EQ(i, next[w]) << "writer " << w << " out of order";
    next[w] = i + 1;
    ++count;
  }
  EXPECT_EQ(count, kWriters * kLines);
}

TEST(Tree, WatchFiresOnAppearGrowAndReplaceUntilReset) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  std::atomic<int> log_fires{0}, blob_fires{0}, dir_fires{0};
  auto wl = t.watch("monitor/logs/x/stderr.txt", [&] { ++log_fires; });
  auto wb = t.watch("config/station/manifest.toml", [&] { ++blob_fires; });
  auto wd = t.watch("monitor/logs", [&] { ++dir_fires; });
  t.add_component("x");
  EXPECT_GE(log_fires.load(), 1);  // appeared
  EXPECT_GE(dir_fires.load(), 1);  // gained x/
  int before = log_fires.load();
  t.log("x", Stream::kStderr)->append("e\n");
  EXPECT_EQ(log_fires.load(), before);  // not visible yet, no event
  t.log("x", Stream::kStderr)->flush();
  EXPECT_EQ(log_fires.load(), before + 1);
  t.set_blob("config/station/manifest.toml", "a = 1\n");
  t.set_blob("config/station/manifest.toml", "a = 2\n");
  EXPECT_EQ(blob_fires.load(), 2);
  std::string got;
  ASSERT_FALSE(t.read("config/station/manifest.toml", 0, 100, &got));
  EXPECT_EQ(got, "a = 2\n");
  wl.reset();
  t.log("x", Stream::kStderr)->append("e\n");
  t.log("x", Stream::kStderr)->flush();
  EXPECT_EQ(log_fires.load(), before + 1);
}

TEST(Tree, InodeApiIsWhatTheFacesSee) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("c");
  t.log("c", Stream::kStdout)->append("hello\n");
  t.log("c", Stream::kStdout)->flush();
  Attr monitor, logs, c, out;
  ASSERT_FALSE(t.lookup(kRootIno, "monitor", &monitor));
  EXPECT_EQ(monitor.kind, NodeKind::kDir);
  EXPECT_EQ(monitor.parent, kRootIno);
  ASSERT_FALSE(t.lookup(monitor.ino, "logs", &logs));
  ASSERT_FALSE(t.lookup(logs.ino, "c", &c));
  ASSERT_FALSE(t.lookup(c.ino, "stdout.txt", &out));
  EXPECT_EQ(out.kind, NodeKind::kLog);
  EXPECT_EQ(out.size, 6u);
  EXPECT_EQ(out.parent, c.ino);
  EXPECT_EQ(t.lookup(c.ino, "nope", &out), std::errc::no_such_file_or_directory);
  EXPECT_EQ(t.lookup(out.ino, "x", &out), std::errc::not_a_directory);
  EXPECT_EQ(t.getattr(999999, &out), std::errc::no_such_file_or_directory);

  std::vector<Child> children;
  ASSERT_FALSE(t.readdir(c.ino, &children));
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].name, "stderr.txt");
  EXPECT_EQ(children[1].name, "stdout.txt");
  EXPECT_EQ(children[1].ino, out.ino);
  EXPECT_EQ(t.readdir(out.ino, &children), std::errc::not_a_directory);

  char buf[16];
  std::size_t got = 0;
  ASSERT_FALSE(t.read(out.ino, 1, buf, sizeof buf, &got));
  EXPECT_EQ(std::string(buf, got), "ello\n");
  EXPECT_EQ(t.read(c.ino, 0, buf, sizeof buf, &got), std::errc::is_a_directory);

  t.set_blob("monitor/status.json", "{}");
  Attr status;
  ASSERT_FALSE(t.lookup(monitor.ino, "status.json", &status));
  auto v1 = t.blob(status.ino);
  t.set_blob("monitor/status.json", "{\"a\":1}");
  ASSERT_TRUE(v1);
  EXPECT_EQ(*v1, "{}");  // a snapshot stays one version
  EXPECT_EQ(*t.blob(status.ino), "{\"a\":1}");
  EXPECT_EQ(t.blob(out.ino), nullptr);
}

TEST(Tree, SubscribeHearsEveryChangedInode) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  std::mutex mu;
  std::vector<Ino> seen;
  auto sub = t.subscribe([&](Ino ino) {
    std::lock_guard l(mu);
    seen.push_back(ino);
  });
  t.add_component("c");
  Attr out;
  ASSERT_FALSE(t.resolve("monitor/logs/c/stdout.txt", &out));
  {
    std::lock_guard l(mu);
    EXPECT_NE(std::find(seen.begin(), seen.end(), out.ino), seen.end());  // appeared
    seen.clear();
  }
  t.log("c", Stream::kStdout)->append("x\n");
  t.log("c", Stream::kStdout)->flush();
  {
    std::lock_guard l(mu);
    EXPECT_EQ(seen, std::vector<Ino>{out.ino});
  }
  sub.reset();
  t.log("c", Stream::kStdout)->append("y\n");
  t.log("c", Stream::kStdout)->flush();
  std::lock_guard l(mu);
  EXPECT_EQ(seen.size(), 1u);
}

// The lifetime rule: destroying a subscription waits for a call running on another thread,
// and destroying it from inside its own callback returns at once (no self-deadlock).
TEST(Tree, SubscriptionLifetimeRule) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);

  std::atomic<bool> inside{false}, release{false}, finished{false};
  auto sub = t.watch("monitor/logs/c/stdout.txt", [&] {
    inside = true;
    while (!release) std::this_thread::yield();
    finished = true;
  });
  std::thread writer([&] {
    log->append("a\n");
    log->flush();
  });
  ASSERT_TRUE(zinnia::testing::eventually([&] { return inside.load(); }));
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    sub.reset();
    destroyed = true;
  });
  // The destroyer is parked until the callback returns.
  EXPECT_FALSE(zinnia::testing::eventually([&] { return destroyed.load(); },
                                           std::chrono::milliseconds(200)));
  release = true;
  destroyer.join();
  writer.join();
  EXPECT_TRUE(finished.load());

  std::unique_ptr<Subscription> self;
  std::atomic<int> calls{0};
  self = t.watch("monitor/logs/c/stdout.txt", [&] {
    ++calls;
    self.reset();  // from inside: returns, and no call starts after
  });
  log->append("b\n");
  log->flush();
  log->append("c\n");
  log->flush();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(self, nullptr);
}

TEST(Tree, PathErrors) {
  testing::TempDir dir;
  Tree t(options(dir.path()));
  t.add_component("c");
  t.set_blob("monitor/status.json", "{}");
  GuestFs::Stat st;
  std::string s;
  std::vector<GuestFs::Entry> e;
  for (const char* bad :
       {"/monitor", "monitor/", "monitor//logs", "..", "monitor/./logs", "monitor/../config", "."})
    EXPECT_EQ(t.stat(bad, &st), std::errc::invalid_argument) << bad;
  EXPECT_EQ(t.stat(std::string_view("monitor\0x", 9), &st), std::errc::invalid_argument);
  EXPECT_EQ(t.stat("monitor/nope", &st), std::errc::no_such_file_or_directory);
  EXPECT_EQ(t.stat("monitor/status.json/x", &st), std::errc::not_a_directory);
  EXPECT_EQ(t.read("monitor/logs", 0, 10, &s), std::errc::is_a_directory);
  EXPECT_EQ(t.list("monitor/status.json", &e), std::errc::not_a_directory);
  EXPECT_THROW(t.watch("../x", [] {}), std::system_error);
  EXPECT_THROW(t.set_blob("monitor/logs", "x"), std::system_error);
  EXPECT_THROW(t.set_blob("monitor/logs/c/stdout.txt", "x"), std::system_error);
  ASSERT_FALSE(t.stat("", &st));
  EXPECT_TRUE(st.is_directory);
  ASSERT_FALSE(t.stat("monitor/status.json", &st));
  EXPECT_EQ(st.size, 2u);
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A log's window (1 MiB here, as by default) is resident only where bytes were written:
// zinniad keeps one per stream of every module, and most modules print little.
TEST(Tree, QuietLogsCostTheirBytesNotTheirWindow) {
  testing::TempDir dir;
  Tree t(options(dir.path(), 1 << 20));
  std::vector<std::shared_ptr<LogFile>> logs;
  const long before = rss_kib();
  for (int i = 0; i < 64; ++i) {
    const std::string name = "m" + std::to_string(i);
    t.add_component(name);
    logs.push_back(t.log(name, Stream::kStdout));
    logs.back()->append("started " + name + "\n");
    logs.back()->flush();
  }
  const long after = rss_kib();
  std::string got;
  ASSERT_FALSE(t.read("monitor/logs/m63/stdout.txt", 0, 100, &got));
  EXPECT_EQ(got, "started m63\n");
  // Zero-filled windows would be 64 MiB.
  EXPECT_LT(after - before, 8 * 1024) << "RSS grew from " << before << " KiB to " << after;
}

TEST(Tree, MemoryStaysFlatWriting256MiB) {
  testing::TempDir dir;
  TreeOptions o = options(dir.path(), 1 << 20);
  o.rotate_bytes = std::uint64_t{1} << 30;
  Tree t(o);
  t.add_component("c");
  auto log = t.log("c", Stream::kStdout);
  std::string chunk = pattern(2000);
  chunk.resize(64 * 1024 - 1);
  chunk += '\n';
  for (int i = 0; i < 64; ++i) log->append(chunk);  // warm up: ring allocated
  log->flush();
  const long before = rss_kib();
  for (int i = 0; i < 4 * 1024 - 64; ++i) log->append(chunk);
  log->flush();
  const long after = rss_kib();
  EXPECT_EQ(log->size(), 256u << 20);
  EXPECT_EQ(fs::file_size(dir.path() / "station/logs/c/stdout.txt"), 256u << 20);
#if defined(__SANITIZE_ADDRESS__)
  (void)before;
  (void)after;  // ASan's quarantine keeps freed batches: RSS says nothing here
#else
  EXPECT_LT(after - before, 16 * 1024) << "RSS grew from " << before << " KiB to " << after;
#endif
  std::string got;
  ASSERT_FALSE(t.read("monitor/logs/c/stdout.txt", 100 << 20, 100, &got));
  EXPECT_EQ(got, chunk.substr((100 << 20) % chunk.size(), 100));
}

}  // namespace
}  // namespace zinnia::fusefs
