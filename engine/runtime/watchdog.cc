#include "engine/runtime/watchdog.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/runtime/module.h"
#include "engine/v8/isolate.h"
#include "util/unique_fd.h"

namespace zinnia::engine {
namespace {

// Reads a small /proc file whole; empty on failure (the thread is gone, or no procfs).
std::string read_proc(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string text(4096, '\0');
  const ssize_t n = ::read(fd.get(), text.data(), text.size());
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}

std::int64_t number_at(std::string_view text, std::size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  std::int64_t value = -1;
  std::from_chars(text.data() + pos, text.data() + text.size(), value);
  return value;
}

// One look at a module thread: how long it has run, waited for a CPU and how often it
// went to sleep, since it began.
struct ThreadTimes {
  std::int64_t run = 0, wait = 0, sleeps = 0;
};

bool thread_times(const WatchedModule& m, ThreadTimes& t) {
  char path[64];
  // "run_ns wait_ns slices": time on a CPU and time runnable but waiting for one.
  std::snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", static_cast<int>(m.tid));
  const std::string sched = read_proc(path);
  if (const auto space = sched.find(' '); space != std::string::npos) {
    t.run = number_at(sched, 0);
    t.wait = number_at(sched, space);
  } else {
    // No schedstat (a kernel without CONFIG_SCHED_INFO): CPU time alone.
    timespec ts{};
    if (::clock_gettime(m.cpu_clock, &ts) != 0) return false;
    t.run = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    t.wait = 0;
  }
  std::snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(m.tid));
  const std::string status = read_proc(path);
  constexpr std::string_view kKey = "\nvoluntary_ctxt_switches:";
  const auto key = status.find(kKey);
  t.sleeps = key == std::string::npos ? 0 : number_at(status, key + kKey.size());
  return t.run >= 0 && t.wait >= 0 && t.sleeps >= 0;
}

constexpr std::int64_t kCpuWindowNs =
    std::chrono::duration_cast<std::chrono::nanoseconds>(kCpuWindow).count();

// Closes the module's CPU window if it is over, and moves the thread to background priority
// when it is a hog. It must have wanted a core (running, or runnable and waiting for one)
// through the window, and either be inside one turn that has lasted the whole window (a
// spinning loop), or have run at least half a core while hardly ever sleeping (a busy event
// loop). On a machine so loaded that a module gets less than half a core, a well-behaved
// module that cannot keep up looks busy too (runnable nearly all the time, sleeping only
// between slow ticks), so the busy-loop rule never fires there: a wrongly moved module would
// be starved by every other process, which the priority cannot undo.
void measure_cpu(WatchedModule& m, std::int64_t now) {
  if (!m.share_cpu || m.background_percent.load(std::memory_order_relaxed) != 0) return;
  if (m.window_wall != 0 && now - m.window_wall < kCpuWindowNs) return;
  ThreadTimes t;
  if (!thread_times(m, t)) return;
  if (m.window_wall != 0) {
    const std::int64_t wall = now - m.window_wall;
    const std::int64_t run = t.run - m.window_run;
    const auto percent = static_cast<int>((run + t.wait - m.window_wait) * 100 / wall);
    const std::int64_t sleeps = t.sleeps - m.window_sleeps;
    const std::int64_t turn = m.turn_start.load(std::memory_order_acquire);
    const bool spinning = turn != 0 && turn <= m.window_wall;
    const bool busy_loop = run * 100 >= wall * kBusyLoopRunPercent &&
                           sleeps * kMaxSleepInterval.count() * 1'000'000 < wall;
    // Linux keeps the nice value per thread; PRIO_PROCESS with a thread id sets just that one.
    if (percent >= kBusyPercent && (spinning || busy_loop) &&
        ::setpriority(PRIO_PROCESS, m.tid, kBackgroundNice) == 0) {
      m.background_percent.store(std::max(percent, 1), std::memory_order_release);
    }
  }
  m.window_wall = now;
  m.window_run = t.run;
  m.window_wait = t.wait;
  m.window_sleeps = t.sleeps;
}

// True when the running turn has used more than `limit_ns` of the thread's CPU time. A turn
// that started after turn_cpu_start was read is measured from an older start: the error
// only delays a verdict, it never makes one.
bool over_cpu_limit(const WatchedModule& m, std::int64_t limit_ns) {
  if (!m.has_cpu_clock) return true;  // no CPU clock: wall time, as before
  timespec ts{};
  if (::clock_gettime(m.cpu_clock, &ts) != 0) return false;  // the thread is ending
  const std::int64_t cpu = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  return cpu - m.turn_cpu_start.load(std::memory_order_acquire) > limit_ns;
}

}  // namespace

Watchdog::Watchdog() : thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Watchdog::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (modules_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // Ticks of at most a fifth of the CPU window keep the measured windows close to it.
    auto tick = std::chrono::duration_cast<std::chrono::milliseconds>(kCpuWindow / 5);
    std::int64_t now = watchdog_now();
    for (auto* m : modules_) {
      tick = std::min(tick, std::max(std::chrono::milliseconds(2), m->limit / 10));
      const std::int64_t limit_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(m->limit).count();
      const std::int64_t start = m->turn_start.load(std::memory_order_acquire);
      // A thread's CPU time never runs ahead of the wall clock: look at it only once the
      // turn has lasted the limit in wall time.
      if (start != 0 && !m->hung.load() && now - start > limit_ns && over_cpu_limit(*m, limit_ns)) {
        m->hung.store(true);
        terminate_execution(m->isolate);
      }
      measure_cpu(*m, now);
    }
    cv_.wait_for(lock, tick);
  }
}

std::int64_t watchdog_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t thread_cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void Watchdog::add(WatchedModule* module) {
  module->tid = ::gettid();
  module->has_cpu_clock = ::pthread_getcpuclockid(::pthread_self(), &module->cpu_clock) == 0;
  if (!module->has_cpu_clock) module->share_cpu = false;
  std::lock_guard lock(mu_);
  modules_.push_back(module);
  cv_.notify_one();
}

void Watchdog::remove(WatchedModule* module) {
  std::lock_guard lock(mu_);
  std::erase(modules_, module);
}

}  // namespace zinnia::engine
