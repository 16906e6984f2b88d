// The SPARK-shaped module run by the real zinniad: the Station events show the jobs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/sanitizer_env.h"
#include "tests/web/web_harness.h"

namespace {

using zinnia::web::testing::kPrelude;
using zinnia::web::testing::read_file;
using zinnia::web::testing::TestServer;
using zinnia::web::testing::web_dir;

TEST(FetchZinniad, SparkShapedModuleReportsJobs) {
  TestServer server;
  ASSERT_GT(server.port(), 0);
  const char* bin = std::getenv("ZINNIA_BIN");
  ASSERT_NE(bin, nullptr);
  std::string zinniad = std::string(bin) + "/zinniad";
  ASSERT_EQ(access(zinniad.c_str(), X_OK), 0) << zinniad;

  zinnia::testing::TempDir dir;
  zinnia::engine::testing::write_file(
      dir.path() / "spark/main.js",
      server.prefix() + kPrelude + read_file(web_dir() / "fixtures/spark.js"));
  std::string state = "STATE_ROOT=" + (dir.path() / "state").string();
  std::string cache = "CACHE_ROOT=" + (dir.path() / "cache").string();
  std::string spin = "SPIN_ROOT=" + (dir.path() / "spin").string();
  std::string home = "HOME=" + dir.path().string();
  std::string wallet = "FIL_WALLET_ADDRESS=0x000000000000000000000000000000000000dEaD";
  std::string path = std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : "");
  std::vector<std::string> sanitizers = zinnia::testing::sanitizer_env();
  std::vector<char*> env = {state.data(), cache.data(),  spin.data(),
                            home.data(),  wallet.data(), path.data()};
  for (auto& s : sanitizers) env.push_back(s.data());
  env.push_back(nullptr);
  std::string module = (dir.path() / "spark/main.js").string();
  std::string no_mount = "--no-mount";
  std::vector<char*> argv = {zinniad.data(), no_mount.data(), module.data(), nullptr};

  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, devnull, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, zinniad.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(devnull);
  ASSERT_EQ(rc, 0);

  // Read events until jobs-completed reaches 2 (or 15 s pass).
  std::string buffer;
  std::vector<nlohmann::json> events;
  int total = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (total < 2 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    ssize_t n = read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      auto event = nlohmann::json::parse(buffer.substr(0, nl), nullptr, false);
      buffer.erase(0, nl + 1);
      if (event.is_discarded()) continue;
      events.push_back(event);
      if (event.value("type", "") == "jobs-completed") total = event.value("total", 0);
    }
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);

  EXPECT_EQ(total, 2);
  int measurements = 0;
  for (auto& e : events)
    if (e.value("type", "") == "activity:info" && e.value("module", "") == "spark" &&
        e.value("message", "").rfind("Measurement ", 0) == 0)
      measurements++;
  EXPECT_EQ(measurements, 2);
  if (::testing::Test::HasFailure())
    for (auto& e : events) std::printf("  | %s\n", e.dump().c_str());
}

}  // namespace
