#pragma once
// Child processes for the reliability tests: posix_spawn only (these test binaries may have
// initialised V8, after which fork() hangs), pipes drained by threads, a bounded wait, and a
// SIGKILL in the destructor so no test leaves a process behind.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sanitizer_env.h"

extern char** environ;

namespace zinnia::testing {

using Env = std::map<std::string, std::string>;

// A copy of this process's environment, with `changes` applied ("" erases a variable when
// `erase_empty`, otherwise sets it empty).
inline Env current_env() {
  Env env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
  }
  return env;
}

class Process {
 public:
  struct Options {
    bool capture_stdout = true;  // false: the child's stdout is a pipe nobody reads (until
                                 // start_reading_stdout) -- a stalled consumer
    bool capture_stderr = true;
    bool read_stdout = true;
    bool read_stderr = true;
    std::string cwd;
  };

  Process(const std::vector<std::string>& argv, const Env& env, Options opt) : opt_(opt) {
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    posix_spawn_file_actions_adddup2(&fa, opt.capture_stdout ? out[1] : devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, opt.capture_stderr ? err[1] : devnull, 2);
    int devnull_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    posix_spawn_file_actions_adddup2(&fa, devnull_in, 0);
    if (!opt.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opt.cwd.c_str());
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    for (auto& s : sanitizer_env()) env_strings.push_back(std::move(s));
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(devnull);
    ::close(devnull_in);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
    if (opt.read_stdout) start_reading_stdout();
    if (opt.read_stderr) start_reading_stderr();
  }
  ~Process() {
    if (running()) kill(SIGKILL);
    wait(std::chrono::seconds(10));
    stop_readers();
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void start_reading_stdout() {
    if (!out_thread_.joinable()) out_thread_ = std::thread([this] { drain(out_fd_, out_); });
  }
  void start_reading_stderr() {
    if (!err_thread_.joinable()) err_thread_ = std::thread([this] { drain(err_fd_, err_); });
  }
  void kill(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
  }
  bool running() {
    poll_status();
    return pid_ > 0 && !status_;
  }
  // The raw wait status, or nullopt if the process is still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && !status_) {
      poll_status();
      if (status_ || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
  }
  // Exit code, or -signal, or -1000 if still running after `timeout` (then it is killed).
  int exit_code(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto st = wait(timeout);
    if (!st) {
      kill(SIGKILL);
      wait(std::chrono::seconds(10));
      return -1000;
    }
    if (WIFEXITED(*st)) return WEXITSTATUS(*st);
    return -WTERMSIG(*st);
  }
  // What the child wrote so far (complete once it has exited and the pipes are drained).
  std::string out() {
    std::lock_guard l(mu_);
    return out_;
  }
  std::string err() {
    std::lock_guard l(mu_);
    return err_;
  }
  // Waits until the readers reach the end of the pipes (after the child exited).
  void stop_readers() {
    if (out_thread_.joinable()) out_thread_.join();
    if (err_thread_.joinable()) err_thread_.join();
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
    out_fd_ = err_fd_ = -1;
  }
  // Waits until `pred(out or err)` holds, up to `timeout`.
  template <class Pred>
  bool wait_output(bool on_stdout, Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(on_stdout ? out() : err())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred(on_stdout ? out() : err());
  }

 private:
  void poll_status() {
    if (pid_ <= 0 || status_) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  }
  void drain(int fd, std::string& into) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      std::lock_guard l(mu_);
      into.append(buf, static_cast<std::size_t>(n));
    }
  }

  Options opt_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int out_fd_ = -1, err_fd_ = -1;
  std::mutex mu_;
  std::string out_, err_;
  std::thread out_thread_, err_thread_;
};

// Runs a command to its end (10 s at most); returns {exit code, stdout + stderr}.
inline std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                               const Env& env = current_env()) {
  Process p(argv, env, {});
  int code = p.exit_code();
  p.stop_readers();
  return {code, p.out() + p.err()};
}

}  // namespace zinnia::testing
