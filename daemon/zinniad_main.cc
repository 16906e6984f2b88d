#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>

#include "daemon/core/config.h"
#include "daemon/core/event_writer.h"
#include "daemon/core/stderr_log.h"
#include "daemon/startup_guard.h"
#include "daemon/supervisor.h"
#include "daemon/unmount_keeper.h"
#include "daemon/version.h"
#include "engine/runtime/runtime.h"
#include "fusefs/fuse/mount.h"
#include "fusefs/tree/tree.h"
#include "util/error.h"
#include "util/fd_reserve.h"
#include "util/unique_fd.h"

namespace {
// Enough for a rotation (two folder fds and the new file) and a state.json write at once.
constexpr int kFdReserveSlots = 16;
constexpr const char kUsage[] = R"(Usage: zinniad [OPTIONS] [MODULE...]
Runs Filecoin Station modules, each in its own V8 isolate, with a live monitor tree.

  MODULE             path to a JS entry file (resolved from the working directory),
                     or NAME=PATH to give the component its name explicitly
  --manifest PATH    app manifest (spin.toml style); env ZINNIA_MANIFEST
  --app NAME         app name; default: the manifest's, else "zinniad"; env ZINNIA_APP
  --spin-root DIR    where logs persist; default $HOME/.spin; env SPIN_ROOT
  --mount DIR        where the live monitor tree is mounted with FUSE; env ZINNIA_MOUNT;
                     default $XDG_RUNTIME_DIR/zinniad/<app>, else <spin-root>/<app>/monitor
  --no-mount         run without the FUSE mount (everything else unchanged)
  -w, --wallet-address ADDR  env FIL_WALLET_ADDRESS    --station-id ID  env STATION_ID
  --state-root DIR   env STATE_ROOT                     --cache-root DIR env CACHE_ROOT
                     (the real zinniad's flags; a flag wins over its variable)
  -h, --help         usage;  -V, --version  version
)";

// True while process `pid` (decimal text) runs; a zombie has ended.
bool alive(const std::string& pid) {
  char* end = nullptr;
  const long n = std::strtol(pid.c_str(), &end, 10);
  if (pid.empty() || *end != '\0' || n <= 0) return true;  // unknown: assume it runs
  if (::kill(static_cast<pid_t>(n), 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(") ");
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

// ZINNIA_STARTUP_TIMEOUT_MS before the configuration is parsed (parse_config checks it).
std::chrono::milliseconds early_startup_timeout() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in the process calls setenv.
  const char* s = std::getenv("ZINNIA_STARTUP_TIMEOUT_MS");
  char* end = nullptr;
  const unsigned long ms = s ? std::strtoul(s, &end, 10) : 0;
  return std::chrono::milliseconds(s && *end == '\0' && ms > 0 && ms <= 3'600'000 ? ms : 30'000);
}

// Two instances on one app would append to the same logs and race on state.json; the lock
// lives as long as the process, and the kernel drops it however the process ends.
// Returns an empty string once locked, else the reason to exit with.
std::string lock_instance(const std::string& what, const std::filesystem::path& dir,
                          zinnia::UniqueFd& out) {
  // Private like everything else zinniad writes: folders 0700, the lock 0600.
  std::filesystem::path made;
  for (const auto& part : dir) {
    made /= part;
    ::mkdir(made.c_str(), 0700);  // EEXIST is the common case; open() reports the rest
  }
  const std::filesystem::path file = dir / "zinniad.lock";
  // O_NONBLOCK: a FIFO planted as the lock must not hold the start.
  zinnia::UniqueFd fd(zinnia::open_reserved([&] {
    return ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  }));
  if (!fd)
    return what + ": " +
           zinnia::errno_message("cannot open the instance lock", file.string(), errno);
  if (struct stat st{}; ::fstat(fd.get(), &st) == 0 && !S_ISREG(st.st_mode))
    return what + ": " + file.string() + " is not a regular file";
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) {
      return what + ": " + zinnia::errno_message("cannot lock", file.string(), err);
    }
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    // The holder has ended and its unmount keeper (which shares the lock) is finishing:
    // wait for it (the start-up guard bounds the wait).
    if (!alive(pid)) {
      while (::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
      }
    } else {
      return "another zinniad (pid " + pid + ") holds " + file.string() + "; stop it first";
    }
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return what + ": " + zinnia::errno_message("cannot write", file.string(), errno);
  }
  out = std::move(fd);
  return {};
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--")) {
      for (; i < argc; ++i) args.emplace_back(argv[i]);
      break;
    }
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "-V") || !std::strcmp(argv[i], "--version")) {
      std::puts(zinnia::daemon::version_line("zinniad").c_str());
      return 0;
    }
    args.emplace_back(argv[i]);
  }

  // Every thread (V8's, spdlog's, the modules') inherits this mask: the signals arrive only
  // through the supervisor's signalfd.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Every module's logs, sockets and loops take fds; the soft limit (often 1024) let one
  // busy app run out (issue 19 #5). The hard limit is ours to take.
  if (rlimit fds{}; ::getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
    fds.rlim_cur = fds.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &fds);
  }
  // Held before any module starts: logs, state.json and the lock borrow from it when the
  // modules' sockets have taken every other fd.
  zinnia::FdReserve fd_reserve(kFdReserveSlots);

  using namespace zinnia;
  // Every start-up step honours SIGTERM and has a deadline (issue 19 #10): reading the
  // manifest, resolving the mount folder and mounting can each block on a frozen mount.
  daemon::StartupGuard guard(early_startup_timeout());
  std::error_code ec;
  daemon::Config config;
  zinnia::UniqueFd app_lock, state_lock;
  try {
    guard.step("read the configuration");
    try {
      config = daemon::parse_config(args, daemon::process_env(), std::filesystem::current_path(ec));
    } catch (const daemon::ConfigError& e) {
      std::fprintf(stderr, "zinniad: %s\n", e.what());
      return 2;
    }
    guard.set_timeout(config.startup_timeout);
    for (auto [what, dir, fd] :
         {std::tuple{"--spin-root / SPIN_ROOT", config.spin_root / config.manifest.app, &app_lock},
          std::tuple{"STATE_ROOT", config.state_root, &state_lock}}) {
      guard.step(std::string("lock ") + (dir / "zinniad.lock").string());
      if (std::string why = lock_instance(what, dir, *fd); !why.empty()) {
        std::fprintf(stderr, "zinniad: %s\n", why.c_str());
        return 2;
      }
    }
  } catch (const daemon::StartupStopped&) {
    std::fputs("zinniad: stopping during start-up (signal)\n", stderr);
    return 0;
  }
  // Forked while no thread but the guard's runs; it holds the locks until it is done.
  std::optional<daemon::UnmountKeeper> keeper;
  if (!config.no_mount) keeper.emplace(std::vector<int>{app_lock.get(), state_lock.get()});

  const bool color = !config.no_color && ::isatty(2);
  auto log = std::make_unique<daemon::StderrLog>(2, config.log_level, color);
  auto events = std::make_unique<daemon::EventWriter>(1, 100'000, [&log](std::size_t n) {
    log->daemon().warn("stdout was not being read: {} Station events were dropped", n);
  });
  // The Station reads stdout; once it is gone there is no one to report to: stop cleanly
  // through the same path as SIGTERM (the supervisor's signalfd).
  events->set_on_closed([&log] {
    log->daemon().info("stdout was closed (the Station is gone); stopping");
    ::kill(::getpid(), SIGTERM);
  });
  for (const auto& w : config.warnings) log->daemon().warn("{}", w);
  int rc = 0;
  auto stopped = std::make_shared<std::atomic<bool>>(false);
  std::filesystem::path mounted_at;  // resolved, for the exit that leaves modules behind
  try {
    guard.step("start V8");
    // Outlives the supervisor (declared after it) and so every module.
    // The bootstrap's code cache is kept under CACHE_ROOT for the next start.
    engine::RuntimeOptions runtime_options;
    runtime_options.code_cache_dir = config.cache_root / "code-cache";
    // No startup snapshot yet: with it, 52 busy modules (scripts/soak) settled ~70 MiB higher
    // (docs/benchmarks.md, "Issue 20, round 4"); zinniad keeps the code cache path until the
    // cause is known.
    const auto runtime = engine::Runtime::acquire(runtime_options);
    fusefs::TreeOptions tree_options;
    tree_options.spin_root = config.spin_root;
    tree_options.app = config.manifest.app;
    tree_options.rotate_bytes = config.rotate_bytes;
    tree_options.on_error = [&log](const std::string& message) {
      log->daemon().error("{}", message);
    };
    guard.step("open the logs in " + (config.spin_root / config.manifest.app / "logs").string());
    fusefs::Tree tree(tree_options);
    std::optional<fusefs::Mount> mount;
    if (config.no_mount) {
      log->daemon().info("running without the monitor mount (--no-mount)");
    } else if (!fusefs::fuse_available()) {
      log->daemon().warn("FUSE is not available (/dev/fuse); running without the monitor mount");
    } else {
      try {
        guard.step("mount the monitor tree at " + config.mount.string());
        mount.emplace(tree, config.mount);
        log->daemon().info("monitor tree mounted at {}", config.mount.string());
        const auto& mp = mount->mountpoint();
        mounted_at = std::filesystem::weakly_canonical(mp.parent_path(), ec) / mp.filename();
        if (ec) mounted_at = mp;
        if (keeper) keeper->watch(mounted_at, fusefs::mounted_device(mounted_at));
      } catch (const std::exception& e) {
        log->daemon().warn("cannot mount the monitor tree ({}); running without it", e.what());
      }
    }
    log->daemon().info("logs persist in {}",
                       (config.spin_root / config.manifest.app / "logs").string());
    guard.step("start the supervisor");
    daemon::Supervisor supervisor(std::move(config), tree, *log, *events);
    supervisor.set_process_metrics([&mount] {
      daemon::ProcessMetrics m;
      if (mount) {
        m.fuse_requests = mount->requests();
        m.fuse_live_readers = mount->live_readers();
      }
      return m;
    });
    supervisor.set_on_startup_step([&guard](const std::string& step) {
      if (step.empty()) {
        guard.done();
      } else {
        guard.step(step);
      }
    });
    supervisor.set_on_stopping([stopped, mounted_at] {
      // Stopping must end within 2 s even if a module will not let go of its thread. The
      // exit flush that follows has bounds of its own.
      std::thread([stopped, mounted_at] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1800));
        if (stopped->load()) return;
        static const char msg[] = "zinniad: a module did not stop in time; exiting\n";
        [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
        // No dead mount left behind (issue 19 #15); the keeper would do it a moment later.
        if (!mounted_at.empty()) fusefs::lazy_unmount(mounted_at);
        ::_exit(0);
      }).detach();
    });
    rc = supervisor.run();
  } catch (const daemon::StartupStopped&) {
    log->daemon().info("stopping during start-up (signal)");
    rc = 0;
  } catch (const std::exception& e) {
    log->daemon().error("{}", e.what());
    rc = 1;
  }
  stopped->store(true);
  guard.done();
  if (keeper) keeper->clear();  // unmounted (the Mount's destructor) or never mounted
  const bool events_out = events->flush(std::chrono::milliseconds(500));
  // A slow reader of a huge line is waited for (10 s at most); a stalled one for 500 ms.
  const bool log_out = log->flush(std::chrono::milliseconds(500), std::chrono::seconds(10));
  if (!events_out || !log_out) {
    std::fflush(nullptr);
    ::_exit(rc);  // a reader that stopped reading must not hold the exit
  }
  events.reset();
  log.reset();
  return rc;
}
