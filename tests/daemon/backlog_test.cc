// A Station that stops reading stdout: events past the bound are dropped, and the count is
// reported once it reads again. And persisted logs rotate at ZINNIA_ROTATE_MB.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "daemon/core/event_writer.h"
#include "tests/daemon/e2e_util.h"
#include "tests/support/eventually.h"

namespace {

using zinnia::daemon::EventWriter;

TEST(EventBacklog, DropsPastTheBoundAndReportsOnceTheReaderIsBack) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
  // The Station has stopped reading and the pipe is full before the first event.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  std::size_t prefill = 0;
  for (ssize_t n; (n = ::write(fds[1], "p", 1)) == 1;) ++prefill;
  ::fcntl(fds[1], F_SETFL, 0);
  std::atomic<std::size_t> reported{0};
  std::atomic<int> calls{0};
  const std::string line(100, 'x');
  {
    EventWriter writer(fds[1], 10, [&](std::size_t n) {
      reported += n;
      ++calls;
    });
    // Nobody reads: the pipe fills, the queue reaches 10 lines, the rest is dropped.
    for (int i = 0; i < 500; ++i) writer.post(line + "\n");
    EXPECT_EQ(calls.load(), 0);
    // The Station reads again.
    std::string got;
    char buf[65536];
    while (got.size() < prefill + 10 * 101 || writer.dropped() == 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<std::size_t>(n));
      if (writer.flush(std::chrono::milliseconds(0))) break;
    }
    ASSERT_TRUE(writer.flush(std::chrono::seconds(5)));
    // Everything is written: take what is still in the pipe.
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
    EXPECT_TRUE(zinnia::testing::eventually([&] { return calls.load() > 0; }));
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(reported.load(), writer.dropped());
    ASSERT_GE(got.size(), prefill);
    got.erase(0, prefill);
    EXPECT_EQ(got.size() / 101 + writer.dropped(), 500u) << "every line written or counted";
    EXPECT_EQ(got.size() % 101, 0u) << "only whole lines";
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(LogRotation, PersistedLogsRotateAtZinniaRotateMb) {
  zinnia::testing::Daemon env(/*fast_restarts=*/true);
  env.env["ZINNIA_ROTATE_MB"] = "1";
  const auto dir = env.dir.path() / "mods";
  zinnia::testing::write_file(dir / "big.js",
                              "for (let i = 0; i < 30000; i++) console.log(`line ${i} ` + "
                              "'y'.repeat(80));\n");
  auto daemon = env.start({"--no-mount", (dir / "big.js").string()});
  ASSERT_EQ(daemon->wait(std::chrono::seconds(20)), 0) << daemon->err();
  const auto logs = env.logs() / "big";
  ASSERT_TRUE(std::filesystem::exists(logs / "stdout.txt.1")) << daemon->err();
  EXPECT_LE(std::filesystem::file_size(logs / "stdout.txt"), std::uintmax_t{1} << 20);
  EXPECT_LE(std::filesystem::file_size(logs / "stdout.txt.1"), std::uintmax_t{1} << 20);
  // The newest generation ends with the last line, whole.
  const std::string tail = zinnia::testing::read_file(logs / "stdout.txt");
  EXPECT_NE(tail.find("line 29999 "), std::string::npos);
  EXPECT_EQ(tail.back(), '\n');

  zinnia::testing::Daemon bad(/*fast_restarts=*/true);
  bad.env["ZINNIA_ROTATE_MB"] = "0";
  auto refused = bad.start({"--no-mount", (dir / "big.js").string()});
  EXPECT_EQ(refused->wait(std::chrono::seconds(5)), 2);
  EXPECT_NE(refused->err().find("ZINNIA_ROTATE_MB"), std::string::npos) << refused->err();
}

}  // namespace
