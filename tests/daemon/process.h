#pragma once
// A child process with piped stdout/stderr, read on background threads (posix_spawn: the
// test process never forks).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sanitizer_env.h"

extern char** environ;  // NOLINT

namespace zinnia::testing {

inline std::filesystem::path bin(const std::string& name) {
  const char* dir = std::getenv("ZINNIA_BIN");
  return std::filesystem::path(dir ? dir : ZINNIA_BINARY_DIR "/bin") / name;
}

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/daemon/fixtures" / name;
}

class Process {
 public:
  using Env = std::map<std::string, std::string>;

  Process(const std::vector<std::string>& argv, const Env& env,
          const std::filesystem::path& cwd = {}) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    for (auto& s : sanitizer_env()) env_strings.push_back(std::move(s));
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (auto& e : env_strings) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0].c_str(), &fa, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      ::close(out[0]);
      ::close(err[0]);
      throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
    start_ = std::chrono::steady_clock::now();
    readers_.emplace_back([this, fd = out[0]] { pump(fd, out_, out_chunks_); });
    readers_.emplace_back([this, fd = err[0]] { pump(fd, err_, err_chunks_); });
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      wait(std::chrono::seconds(10));
    }
    for (auto& t : readers_) t.join();
  }

  std::string out() const {
    std::lock_guard lock(mutex_);
    return out_;
  }
  std::string err() const {
    std::lock_guard lock(mutex_);
    return err_;
  }
  // Each read(2) of stdout as it came: a Station splits on these.
  std::vector<std::string> out_chunks() const {
    std::lock_guard lock(mutex_);
    return out_chunks_;
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }

  // Waits until `pred(stdout, stderr)` holds; false on timeout.
  bool wait_until(const std::function<bool(const std::string&, const std::string&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(out_, err_); });
  }
  bool wait_out(const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_until([&](const std::string& o,
                          const std::string&) { return o.find(needle) != std::string::npos; },
                      timeout);
  }
  bool wait_err(const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_until([&](const std::string&,
                          const std::string& e) { return e.find(needle) != std::string::npos; },
                      timeout);
  }

  // The exit status (exit code, or 128+signal), or -1 after killing it on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    if (exited_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int st = 0;
      pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        ended_ = std::chrono::steady_clock::now();
        // Let the readers reach EOF.
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(5), [&] { return eofs_ == 2; });
        return status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        exited_ = true;
        status_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  void pump(int fd, std::string& into, std::vector<std::string>& chunks) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        ++eofs_;
        cv_.notify_all();
        break;
      }
      into.append(buf, static_cast<std::size_t>(n));
      chunks.emplace_back(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
    ::close(fd);
  }

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string out_, err_;
  std::vector<std::string> out_chunks_, err_chunks_;
  int eofs_ = 0;
  bool exited_ = false;
  int status_ = -1;
  std::chrono::steady_clock::time_point start_, ended_;
  std::vector<std::thread> readers_;
};

}  // namespace zinnia::testing
