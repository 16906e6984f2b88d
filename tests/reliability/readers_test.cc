// Readers of the monitor tree: 64 concurrent readers through the FUSE mount while a writer
// appends, readers killed in the middle of a read, `tail -F` on a persisted log across
// rotation, and the live file staying text across rotations while `tail -f` follows it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "fusefs/fuse/mount.h"
#include "fusefs/tree/tree.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string seq_line(std::size_t i) {
  std::string s = "seq=" + std::to_string(i) + " ";
  s.resize(100, 'a' + static_cast<char>(i % 26));
  return s + "\n";
}

// Every line of `text` (a prefix of the log) is seq_line(0), seq_line(1) ... in order.
::testing::AssertionResult is_log_prefix(const std::string& text) {
  std::size_t i = 0, at = 0;
  while (at < text.size()) {
    const std::string want = seq_line(i);
    const std::size_t n = std::min(want.size(), text.size() - at);
    if (text.compare(at, n, want, 0, n) != 0)
      return ::testing::AssertionFailure() << "line " << i << " differs at byte " << at;
    at += n;
    ++i;
  }
  return ::testing::AssertionSuccess();
}

struct Mounted {
  TempDir dir;
  std::unique_ptr<fusefs::Tree> tree;
  std::unique_ptr<fusefs::Mount> mount;
  fs::path mnt = dir.path() / "mnt";
  explicit Mounted(std::size_t window = 1 << 20) {
    fusefs::TreeOptions o;
    o.spin_root = dir.path() / "spin";
    o.app = "app";
    o.window_bytes = window;
    tree = std::make_unique<fusefs::Tree>(o);
    tree->add_component("c");
    mount = std::make_unique<fusefs::Mount>(*tree, mnt);
  }
  fs::path live() const { return mnt / "monitor/logs/c/stdout.txt"; }
  std::shared_ptr<fusefs::LogFile> log() { return tree->log("c", fusefs::Stream::kStdout); }
};

std::string read_all(const fs::path& p, std::size_t chunk) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "OPEN FAILED";
  std::string out;
  std::vector<char> buf(chunk);
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) out.append(buf.data(), n);
  ::close(fd);
  return n < 0 ? "READ FAILED" : out;
}

TEST(Readers, SixtyFourConcurrentReadersWhileAWriterAppends) {
  ZINNIA_REQUIRE_FUSE();
  Mounted m(256 << 10);  // a small window: readers hit the persisted file too
  auto log = m.log();
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> written{0};
  std::thread writer([&] {
    for (std::size_t i = 0; !stop; ++i) {
      log->append(seq_line(i));
      if (i % 50 == 49) {
        log->flush();
        written = i + 1;
        std::this_thread::sleep_for(1ms);
      }
    }
    log->flush();
  });
  ASSERT_TRUE(eventually([&] { return written >= 5000; }, std::chrono::seconds(30)));
  std::atomic<int> failures{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 64; ++r) {
    readers.emplace_back([&, r] {
      for (int k = 0; k < 2; ++k) {
        const std::size_t before = written;
        const std::string got = read_all(m.live(), r % 2 ? 4096 : 128 << 10);
        ++reads;
        if (got.size() < before * 101 || !is_log_prefix(got)) ++failures;
      }
    });
  }
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(reads, 64 * 2);
  EXPECT_EQ(failures, 0) << "a reader saw a short, torn or wrong log";
  // Afterwards a plain read returns the whole log.
  const std::string all = read_all(m.live(), 1 << 16);
  EXPECT_EQ(all.size(), log->size());
  EXPECT_TRUE(is_log_prefix(all));
}

// Processes killed in the middle of reading (large reads from the persisted file, outside
// the memory window, and readers blocked on a full pipe) leave the mount fully working.
TEST(Readers, ReadersKilledMidReadLeaveTheMountWorking) {
  ZINNIA_REQUIRE_FUSE();
  Mounted m(64 << 10);
  auto log = m.log();
  std::string chunk;
  for (std::size_t i = 0; i < 10'000; ++i) chunk += seq_line(i);
  for (int k = 0; k < 6; ++k) log->append(chunk);  // ~6 MiB, mostly outside the window
  log->flush();
  const std::string live = m.live().string();
  for (int round = 0; round < 9; ++round) {
    // dd reads big blocks; `tail -f` and `cat` into a pipe nobody reads block mid-stream.
    Process::Options quiet;
    quiet.read_stdout = round % 3 != 0;
    std::vector<std::unique_ptr<Process>> ps;
    ps.push_back(std::make_unique<Process>(
        std::vector<std::string>{"dd", "if=" + live, "of=/dev/null", "bs=1M", "iflag=direct"},
        current_env(), Process::Options{}));
    ps.push_back(
        std::make_unique<Process>(std::vector<std::string>{"cat", live}, current_env(), quiet));
    ps.push_back(std::make_unique<Process>(std::vector<std::string>{"tail", "-f", "-c", "+1", live},
                                           current_env(), quiet));
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 7 * round));
    for (auto& p : ps) p->kill(SIGKILL);
    for (auto& p : ps) EXPECT_NE(p->wait(), Process::kTimedOut);
  }
  // The mount still answers, quickly and correctly.
  const auto start = Clock::now();
  struct stat st {};
  ASSERT_EQ(::stat(live.c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), log->size());
  const std::string all = read_all(m.live(), 1 << 20);
  EXPECT_EQ(all.size(), log->size());
  EXPECT_TRUE(is_log_prefix(all.substr(0, chunk.size())));
  EXPECT_LT(Clock::now() - start, 5s);
  // 64 readers at once after the killings: all served.
  std::atomic<int> ok{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 64; ++r)
    readers.emplace_back([&] {
      std::string got = read_all(m.live(), 1 << 16);
      if (got.size() == all.size()) ++ok;
    });
  for (auto& t : readers) t.join();
  EXPECT_EQ(ok, 64);
}

// `tail -F` on a persisted log follows it across rotation (stdout.txt -> stdout.txt.1) and
// misses nothing, and the live (in-tree) file is not cut by rotation.
TEST(Readers, TailFollowsThePersistedLogAcrossRotation) {
  TempDir dir;
  fusefs::TreeOptions o;
  o.spin_root = dir.path() / "spin";
  o.app = "app";
  o.rotate_bytes = 64 << 10;
  fusefs::Tree tree(o);
  tree.add_component("c");
  auto log = tree.log("c", fusefs::Stream::kStdout);
  const fs::path file = dir.path() / "spin/app/logs/c/stdout.txt";
  log->append(seq_line(0));
  log->flush();
  // Plain `tail -F`, as a person runs it: on a local disk it follows by inotify.
  Process tail({"tail", "-F", "-n", "+1", file.string()}, current_env(), {});
  auto caught_up = [&](std::size_t lines) -> ::testing::AssertionResult {
    const std::size_t want = lines * 101;
    if (tail.wait_out([&](const std::string& out) { return out.size() >= want; }, 8s))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "tail stopped at " << tail.out().size() << " of "
                                         << want << " bytes; tail's stderr: " << tail.err();
  };
  ASSERT_TRUE(caught_up(1));
  // Three rotations. GNU tail switches to the new file as soon as it sees it, without reading
  // the rest of the old one, so a reader a whole batch behind at that moment skips bytes (they
  // are in stdout.txt.1). The test lets tail catch up before each batch that rotates: a reader
  // that keeps up misses nothing.
  constexpr std::size_t kBatch = 20;
  std::size_t i = 1, in_file = 101, rotations = 0;
  while (rotations < 3) {
    if (in_file + kBatch * 101 > o.rotate_bytes) {
      ASSERT_TRUE(caught_up(i)) << "before rotation " << rotations + 1;
      in_file = 0;
      ++rotations;
    }
    for (std::size_t k = 0; k < kBatch; ++k, ++i) log->append(seq_line(i));
    log->flush();
    in_file += kBatch * 101;
  }
  ASSERT_TRUE(caught_up(i)) << "after the last rotation";
  EXPECT_TRUE(fs::exists(fs::path(file.string() + ".1")));
  EXPECT_LE(fs::file_size(file), 64u << 10);
  EXPECT_LE(fs::file_size(file.string() + ".1"), 64u << 10);
  const std::string seen = tail.out();
  EXPECT_EQ(seen.size(), i * 101);
  EXPECT_TRUE(is_log_prefix(seen));
  // The live log in the tree still reads the current and the previous generation true.
  std::string live;
  ASSERT_FALSE(tree.read("monitor/logs/c/stdout.txt", 0, 1 << 20, &live));
  EXPECT_EQ(live.size(), i * 101);
  const std::size_t last_two = fs::file_size(file) + fs::file_size(file.string() + ".1");
  EXPECT_EQ(live.substr(live.size() - last_two), seen.substr(seen.size() - last_two));
}

// After rotations have dropped the oldest bytes, the live file on the mount stays text (issue
// 19 #18: it used to start with a run of NUL bytes, so grep said "binary file matches" and
// less asked "binary file?"), its offsets stay true (its size is every byte ever written),
// and `tail -f` on the live file, which follows by offset, prints every line once, in order,
// across all the rotations.
TEST(Readers, LiveFileStaysTextAcrossRotationsWhileTailFollows) {
  ZINNIA_REQUIRE_FUSE();
  TempDir dir;
  fusefs::TreeOptions o;
  o.spin_root = dir.path() / "spin";
  o.app = "app";
  o.window_bytes = 4 << 10;
  o.rotate_bytes = 16 << 10;
  fusefs::Tree tree(o);
  tree.add_component("c");
  fusefs::Mount mount(tree, dir.path() / "mnt");
  auto log = tree.log("c", fusefs::Stream::kStdout);
  const fs::path live = dir.path() / "mnt/monitor/logs/c/stdout.txt";
  log->append(seq_line(0));
  log->flush();
  Process tail({"tail", "-f", "-s", "0.05", "-n", "+1", live.string()}, current_env(), {});
  auto caught_up = [&](std::size_t lines) -> ::testing::AssertionResult {
    if (tail.wait_out([&](const std::string& out) { return out.size() >= lines * 101; }, 8s))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "tail stopped at " << tail.out().size() << " of "
                                         << lines * 101 << " bytes; stderr: " << tail.err();
  };
  ASSERT_TRUE(caught_up(1));
  constexpr std::size_t kBatch = 20;
  std::size_t i = 1, in_file = 101, rotations = 0;
  while (rotations < 4) {
    if (in_file + kBatch * 101 > o.rotate_bytes) {
      // Bytes rotated away twice are gone: a reader that keeps up has read them by then.
      ASSERT_TRUE(caught_up(i)) << "before rotation " << rotations + 1;
      in_file = 0;
      ++rotations;
    }
    for (std::size_t k = 0; k < kBatch; ++k, ++i) log->append(seq_line(i));
    log->flush();
    in_file += kBatch * 101;
  }
  ASSERT_TRUE(caught_up(i)) << "after the last rotation";
  const std::string seen = tail.out();
  EXPECT_EQ(seen.size(), i * 101) << "tail -f reprinted or lost bytes";
  EXPECT_TRUE(is_log_prefix(seen));

  struct stat st {};
  ASSERT_EQ(::stat(live.c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), i * 101) << "offsets must not shift";
  {  // Drop the pages tail's reads left in the kernel's cache, so the reads below reach the tree.
    const int fd = ::open(live.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    ::close(fd);
  }
  const std::string head = read_all(live, 4096).substr(0, 8192);
  EXPECT_EQ(head.find('\0'), std::string::npos) << "the live file starts with NUL bytes";
  // grep and file, as a person would use them.
  Process grep({"grep", "-c", "seq=", live.string()}, current_env(), {});
  EXPECT_EQ(grep.wait(), 0);
  EXPECT_EQ(grep.out().find("binary"), std::string::npos) << grep.out();
  const std::size_t kept_lines = (fs::file_size(dir.path() / "spin/app/logs/c/stdout.txt") +
                                  fs::file_size(dir.path() / "spin/app/logs/c/stdout.txt.1")) /
                                 101;
  // At least the kept generations' lines; pages the kernel still caches may hold more of the
  // true bytes (never other bytes).
  const std::size_t matched = std::stoul("0" + grep.out());
  EXPECT_GE(matched, kept_lines);
  EXPECT_LE(matched, i);
  Process file({"file", "-b", live.string()}, current_env(), {});
  EXPECT_EQ(file.wait(), 0);
  EXPECT_NE(file.out().find("text"), std::string::npos) << file.out();
}

}  // namespace
}  // namespace zinnia::testing
