#pragma once
// Child processes for tests: posix_spawn only (a test binary may have initialised V8, after
// which fork() hangs), stdout/stderr pipes drained by threads (or left stalled on request),
// bounded waits, and a SIGKILL in the destructor so no test leaves a process behind.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/sanitizer_env.h"

extern char** environ;  // NOLINT

namespace zinnia::testing {

// A child's whole environment (sanitizer settings are added to it).
using Env = std::map<std::string, std::string>;

// A copy of this process's environment.
inline Env current_env() {
  Env env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
  }
  return env;
}

// A built executable: $ZINNIA_BIN/name.
inline std::filesystem::path bin(const std::string& name) {
  const char* dir = std::getenv("ZINNIA_BIN");
  return std::filesystem::path(dir ? dir : ZINNIA_BINARY_DIR "/bin") / name;
}

class Process {
 public:
  struct Options {
    std::filesystem::path cwd;  // empty: this process's
    // false: the pipe is not read until start_reading_stdout/stderr() -- a stalled consumer.
    bool read_stdout = true;
    bool read_stderr = true;
  };
  // What wait() returns when the child was still running at the deadline (it is killed).
  static constexpr int kTimedOut = -1000;

  // argv[0] is looked up on this process's PATH unless it has a '/'. stdin is /dev/null.
  Process(const std::vector<std::string>& argv, const Env& env) : Process(argv, env, Options{}) {}
  Process(const std::vector<std::string>& argv, const Env& env, const Options& opt) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      throw std::runtime_error("pipe2");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!opt.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opt.cwd.c_str());
    // The child starts with no signal blocked and every handler at its default (SIGPIPE too).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    for (auto& s : sanitizer_env()) env_strings.push_back(std::move(s));
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    out_.fd = out[0];
    err_.fd = err[0];
    if (rc != 0) {
      pid_ = -1;
      close_pipes();
      throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
    if (opt.read_stdout) start_reading_stdout();
    if (opt.read_stderr) start_reading_stderr();
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    kill(SIGKILL);
    wait(std::chrono::seconds(10));
    // The readers poll: they stop even if a grandchild still holds a pipe open.
    stop_ = true;
    for (Stream* s : {&out_, &err_})
      if (s->reader.joinable()) s->reader.join();
    close_pipes();
  }

  pid_t pid() const { return pid_; }
  void start_reading_stdout() { start_reading(out_); }
  void start_reading_stderr() { start_reading(err_); }
  // Closes the read end of stdout (only one started with read_stdout = false): the child's
  // next write to stdout fails with EPIPE, as when its reader dies.
  void close_stdout() {
    std::lock_guard lock(mutex_);
    if (out_.fd >= 0) ::close(out_.fd);
    out_.fd = -1;
    out_.eof = true;
  }

  // Sends `sig` unless the child was already reaped (its pid may be someone else's by now).
  void kill(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
  }
  bool running() {
    poll_status();
    return pid_ > 0 && !status_;
  }

  // The exit code, or -signal, or kTimedOut (after a SIGKILL) if the child still ran after
  // `timeout`. Once it has exited, waits (5 s at most) for the readers to reach the end of
  // the pipes, so out() and err() are complete.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    bool timed_out = false;
    if (!reap(timeout)) {
      timed_out = true;
      kill(SIGKILL);
      reap(std::chrono::seconds(10));
    }
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(5), [&] { return drained(out_) && drained(err_); });
    }
    if (timed_out || !status_) return kTimedOut;
    return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -WTERMSIG(*status_);
  }

  // What the child wrote so far.
  std::string out() const {
    std::lock_guard lock(mutex_);
    return out_.text;
  }
  std::string err() const {
    std::lock_guard lock(mutex_);
    return err_.text;
  }

  // Waits until `pred(stdout, stderr)` holds; false on timeout. `pred` runs with the output
  // locked (it must not call out() or err()); it is checked on new output and every 20 ms,
  // so it may also look at files.
  bool wait_until(const std::function<bool(const std::string&, const std::string&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      if (pred(out_.text, err_.text)) return true;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                             deadline - now, std::chrono::milliseconds(20)));
    }
  }
  // Waits until `pred(stdout)` (or `pred(stderr)`) holds, or the text contains `needle`.
  bool wait_out(const std::function<bool(const std::string&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_until([&](const std::string& o, const std::string&) { return pred(o); }, timeout);
  }
  bool wait_err(const std::function<bool(const std::string&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_until([&](const std::string&, const std::string& e) { return pred(e); }, timeout);
  }
  bool wait_out(const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_out([&](const std::string& o) { return o.find(needle) != std::string::npos; },
                    timeout);
  }
  bool wait_err(const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    return wait_err([&](const std::string& e) { return e.find(needle) != std::string::npos; },
                    timeout);
  }

 private:
  struct Stream {
    int fd = -1;
    std::thread reader;
    std::string text;
    bool eof = false;
  };

  // A stream nobody reads counts as drained: waiting for it would only stall.
  static bool drained(const Stream& s) { return !s.reader.joinable() || s.eof; }

  void start_reading(Stream& s) {
    if (!s.reader.joinable()) s.reader = std::thread([this, &s] { pump(s); });
  }
  void pump(Stream& s) {
    char buf[65536];
    while (!stop_) {
      pollfd p{s.fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      const ssize_t n = ::read(s.fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) break;
      s.text.append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    s.eof = true;
    cv_.notify_all();
  }

  void poll_status() {
    if (pid_ <= 0 || status_) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  }
  // True once the child has exited (and is reaped) within `timeout`.
  bool reap(std::chrono::milliseconds timeout) {
    return eventually(
        [&] {
          poll_status();
          return pid_ <= 0 || status_.has_value();
        },
        timeout);
  }
  void close_pipes() {
    for (Stream* s : {&out_, &err_}) {
      if (s->fd >= 0) ::close(s->fd);
      s->fd = -1;
    }
  }

  pid_t pid_ = -1;
  std::optional<int> status_;  // the raw wait status, once reaped
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Stream out_, err_;
};

// Runs a command to its end (10 s at most); returns {exit code, stdout + stderr}.
inline std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                               const Env& env = current_env()) {
  Process p(argv, env);
  const int code = p.wait();
  return {code, p.out() + p.err()};
}

}  // namespace zinnia::testing
