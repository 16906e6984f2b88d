#include "daemon/startup_guard.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>

namespace zinnia::daemon {
namespace {

constexpr auto kStopGrace = std::chrono::seconds(2);

[[noreturn]] void leave(const std::string& message, int code) {
  const std::string line = "zinniad: " + message + "\n";
  [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
  ::_exit(code);
}

}  // namespace

StartupGuard::StartupGuard(std::chrono::milliseconds timeout)
    : step_started_(std::chrono::steady_clock::now()), timeout_(timeout) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  thread_ = std::thread([this] { run(); });
}

StartupGuard::~StartupGuard() { done(); }

void StartupGuard::set_timeout(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  timeout_ = timeout;
}

void StartupGuard::step(std::string what) {
  {
    std::lock_guard lock(mu_);
    if (stop_signal_ != 0) throw StartupStopped{};
    step_ = std::move(what);
    step_started_ = std::chrono::steady_clock::now();
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

void StartupGuard::done() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
  thread_.join();
  signal_fd_.reset();
  if (stop_signal_ != 0) ::kill(::getpid(), stop_signal_);  // for the supervisor's signalfd
}

void StartupGuard::run() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point stop_deadline{};
  for (;;) {
    std::string step;
    Clock::time_point deadline;
    bool stopping;
    std::chrono::milliseconds timeout;
    {
      std::lock_guard lock(mu_);
      if (done_) return;
      step = step_;
      stopping = stop_signal_ != 0;
      timeout = timeout_;
      deadline = stopping ? stop_deadline : step_started_ + timeout;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      if (stopping)
        leave("stopping during start-up (signal); '" + step + "' did not end within " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::seconds>(kStopGrace).count()) +
                  " s",
              0);
      leave("start-up step '" + step + "' did not finish within " +
                std::to_string(timeout.count()) + " ms; exiting",
            1);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    const int n = ::poll(fds, signal_fd_ ? 2 : 1, static_cast<int>(left.count()) + 1);
    if (n < 0 && errno != EINTR) return;  // cannot watch: start-up runs unguarded
    if (fds[1].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto r = ::read(wake_fd_.get(), &v, sizeof v);
    }
    if (signal_fd_ && (fds[0].revents & POLLIN)) {
      signalfd_siginfo info;
      while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        std::lock_guard lock(mu_);
        if (stop_signal_ == 0) {
          stop_signal_ = static_cast<int>(info.ssi_signo);
          stop_deadline = Clock::now() + kStopGrace;
        }
      }
    }
  }
}

}  // namespace zinnia::daemon
