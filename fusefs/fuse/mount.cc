#include "fusefs/fuse/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/fuse/fuse_ops.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace zinnia::fusefs {
namespace {

namespace fs = std::filesystem;

constexpr int kWorkers = 4;
// After a poll that found nothing, no worker polls for this long.
constexpr auto kPollBackoff = std::chrono::milliseconds(10);
// After this many polls in a row caught the next request, the sleeping workers are set aside
// (Impl::set_aside), and one of them checks this often that requests are still answered.
constexpr int kSetAsideAfter = 4;
constexpr auto kStuckAfter = std::chrono::milliseconds(2);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The largest read reply libfuse will splice: it needs a pipe of the reply plus three pages
// (fuse_send_data_iov), and without CAP_SYS_RESOURCE a pipe grows to pipe-max-size at most.
// With the default 1 MiB that is 252 pages; a 1 MiB request would be copied instead. A read
// size below 256 KiB would cost more round trips than splicing saves: then splice is off.
std::uint32_t read_size_for_splice(std::uint64_t page) {
  constexpr std::uint64_t kMaxRequest = 1u << 20;  // the kernel's 256 pages
  std::uint64_t pipe_max = kMaxRequest;
  std::ifstream in("/proc/sys/fs/pipe-max-size");
  if (!(in >> pipe_max)) pipe_max = kMaxRequest;
  constexpr std::uint64_t kHeader = 80;  // fuse_out_header and slack
  if (pipe_max < 3 * page + kHeader + (256u << 10)) return 0;
  const std::uint64_t fit = (pipe_max - 3 * page - kHeader) / page * page;
  return static_cast<std::uint32_t>(std::min(fit, kMaxRequest));
}

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The filesystem type mounted exactly at `path` ("" if none): the last such line wins.
std::string mounted_type(const fs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, type;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mnt;
    f >> id >> parent >> dev >> root >> mnt;
    if (unescape_mountinfo(mnt) != path.string()) continue;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    rest >> type;
  }
  return type;
}

}  // namespace

// Lazy unmount: umount2 as root, else fusermount3 (setuid) like libfuse does.
int lazy_unmount(const fs::path& mnt) {
  if (::umount2(mnt.c_str(), MNT_DETACH) == 0) return 0;
  if (errno != EPERM) return errno;
  const char* argv[] = {"fusermount3", "-u", "-z", "--", mnt.c_str(), nullptr};
  pid_t pid;
  int err =
      ::posix_spawnp(&pid, "fusermount3", nullptr, nullptr, const_cast<char**>(argv), environ);
  if (err != 0) return err;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

std::string mounted_device(const fs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, device;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mnt;
    f >> id >> parent >> dev >> root >> mnt;
    if (unescape_mountinfo(mnt) == path.string()) device = dev;
  }
  return device;
}

namespace {

// A mount left by a killed server answers ENOTCONN: detach it. A live one is refused.
// statfs always reaches the server (stat may be answered from the kernel's attr cache).
void recover_stale(const fs::path& mnt) {
  struct statfs sf {};
  // mountinfo lists resolved paths; a stale mountpoint itself cannot be resolved (ENOTCONN),
  // so resolve its parent.
  std::error_code ec;
  fs::path real = fs::weakly_canonical(mnt.parent_path(), ec);
  real = ec ? mnt : real / mnt.filename();
  const bool fuse_here = mounted_type(real).rfind("fuse", 0) == 0;
  if (::statfs(mnt.c_str(), &sf) == 0) {
    if (fuse_here)
      throw_errno("mount", mnt.string() + " (a live FUSE mount is already there)", EBUSY);
    return;
  }
  if (errno != ENOTCONN) return;
  if (int err = lazy_unmount(mnt)) throw_errno("unmount stale mount", mnt.string(), err);
}

void op_init(void* userdata, fuse_conn_info* conn) {
  // Cached pages are dropped only when the writer says so (mount.cc invalidates a log's last
  // partial page on every append). With auto_inval_data the kernel would also drop a whole
  // file's pages whenever a getattr shows a new size, i.e. after every append.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_AUTO_INVAL_DATA);
  if (conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA) conn->want |= FUSE_CAP_EXPLICIT_INVAL_DATA;
  auto& c = *static_cast<fuseops::Context*>(userdata);
  conn->max_read = c.max_read;  // as the mount option says (libfuse refuses a mismatch)
  // Large reads of persisted bytes are spliced from the file (fuse_read.cc).
  if (!c.splice) return;
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  if (conn->capable & FUSE_CAP_SPLICE_MOVE) conn->want |= FUSE_CAP_SPLICE_MOVE;
}

}  // namespace

bool fuse_available() {
  UniqueFd fd(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  return static_cast<bool>(fd);
}

struct Mount::Impl {
  Tree& tree;
  fs::path mountpoint;
  fuseops::Context ctx;
  fuse_session* se = nullptr;
  UniqueFd stop_fd;  // eventfd: wakes the workers out of epoll_wait()
  std::vector<std::thread> workers;
  // Polling for the next request after a reply (poll_a_while).
  std::chrono::microseconds poll_for{50};  // ZINNIA_FUSE_POLL_US; 0: sleep at once
  std::atomic<bool> polling{false};        // one worker polls at a time
  std::atomic<std::chrono::steady_clock::rep> no_poll_until{0};
  std::atomic<std::uint64_t> polls_caught{0};
  std::atomic<std::uint64_t> polls_missed{0};
  std::atomic<std::uint64_t> set_asides{0};
  // Sleepers set aside while polls keep catching (set_aside).
  int caught_in_a_row = 0;  // touched only by the worker holding `polling`
  UniqueFd aside_fd;        // eventfd, readable while the sleepers are set aside
  std::mutex aside_mu;
  std::condition_variable aside_cv;
  std::atomic<bool> aside{false};  // changed under aside_mu, read without it
  bool aside_watch = false;        // one set-aside worker watches for a stuck poller; aside_mu

  // Notifier: inodes that changed since the last round, invalidated outside any op handler.
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::uint64_t> dirty;
  bool stopping = false;
  std::atomic<std::uint64_t> sent{0};
  const std::uint64_t page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::thread notifier;
  std::unique_ptr<Subscription> changes;

  Impl(Tree& t, fs::path m) : tree(t), mountpoint(std::move(m)) {}

  void serve() {
    // Each worker waits in its own epoll set: EPOLLEXCLUSIVE wakes one worker per request
    // (plain poll() would wake them all), the stop eventfd wakes every worker, and so does
    // the set-aside eventfd (set_aside).
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = fuse_session_fd(se);
    epoll_event stop{};
    stop.events = EPOLLIN;
    stop.data.fd = stop_fd.get();
    epoll_event step_aside{};
    step_aside.events = EPOLLIN;
    step_aside.data.fd = aside_fd.get();
    if (!ep || ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, ev.data.fd, &ev) != 0 ||
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, stop_fd.get(), &stop) != 0 ||
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, aside_fd.get(), &step_aside) != 0)
      return;
    fuse_buf buf{};
    bool answered = false;  // this worker answered the last request it saw
    while (!fuse_session_exited(se)) {
      int r = answered ? poll_a_while(buf) : -EAGAIN;
      if (r == -EAGAIN || r == -EINTR) {
        if (wait_while_aside()) {
          answered = false;
          continue;
        }
        epoll_event got{};
        int n = ::epoll_wait(ep.get(), &got, 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || got.data.fd == stop_fd.get()) break;
        if (got.data.fd == aside_fd.get()) continue;  // wait_while_aside() next
        r = fuse_session_receive_buf(se, &buf);
        if (r == -EINTR || r == -EAGAIN) {  // another worker took it
          answered = false;
          continue;
        }
      }
      if (r <= 0) break;  // unmounted (ENODEV) or error
      fuse_session_process_buf(se, &buf);
      ctx.requests.fetch_add(1, std::memory_order_relaxed);
      answered = true;
    }
    std::free(buf.mem);
  }

  // A request that arrives while a worker polls is caught by that worker, but the kernel
  // also wakes a worker sleeping on the fd, which finds nothing: a context switch and a
  // wake-up (an IPI to an idle CPU) per request, paid partly inside the reader's read(2).
  // So once polls keep catching, the sleepers are woken once (the eventfd) and wait off the
  // fd until a poll misses. One of them checks every kStuckAfter that requests are still
  // being answered: if none was (the polling worker is stuck in one, e.g. a cold disk read),
  // all go back to the fd.
  void set_aside(bool on) {
    std::lock_guard l(aside_mu);
    if (aside == on || (on && fuse_session_exited(se))) return;  // never again once stopping
    aside = on;
    std::uint64_t n = 1;
    if (on) {
      set_asides.fetch_add(1, std::memory_order_relaxed);
      [[maybe_unused]] auto w = ::write(aside_fd.get(), &n, sizeof(n));
    } else {
      [[maybe_unused]] auto rd = ::read(aside_fd.get(), &n, sizeof(n));  // not readable now
      aside_cv.notify_all();
    }
  }

  // True after waiting aside (the caller loops again); false at once when not set aside.
  bool wait_while_aside() {
    std::unique_lock l(aside_mu);
    if (!aside) return false;
    const bool watch = !aside_watch;
    if (watch) aside_watch = true;
    std::uint64_t answered = ctx.requests.load(std::memory_order_relaxed);
    while (aside && !fuse_session_exited(se)) {
      if (!watch) {
        aside_cv.wait(l);
        continue;
      }
      if (aside_cv.wait_for(l, kStuckAfter) != std::cv_status::timeout) continue;
      const std::uint64_t now = ctx.requests.load(std::memory_order_relaxed);
      if (now != answered) {
        answered = now;
        continue;
      }
      l.unlock();
      set_aside(false);
      l.lock();
    }
    if (watch) aside_watch = false;
    return true;
  }

  // After answering, one worker at a time keeps asking the (non-blocking) fd for the next
  // request for up to `poll_for` before it sleeps: a reader that reads again at once (cat,
  // grep, a pread loop) finds a worker awake. Waking a sleeping thread on an idle CPU costs
  // more than the request itself on a VM that halts idle CPUs (~20 µs here,
  // docs/benchmarks.md). Returns what fuse_session_receive_buf() last returned.
  int poll_a_while(fuse_buf& buf) {
    using Clock = std::chrono::steady_clock;
    if (poll_for.count() == 0) return -EAGAIN;
    const auto now = Clock::now();
    if (now.time_since_epoch().count() < no_poll_until.load(std::memory_order_relaxed))
      return -EAGAIN;
    if (polling.exchange(true, std::memory_order_acquire)) return -EAGAIN;
    const auto until = now + poll_for;
    int r = -EAGAIN;
    do {
      r = fuse_session_receive_buf(se, &buf);
      if (r != -EAGAIN && r != -EINTR) break;
      cpu_relax();
    } while (Clock::now() < until && !fuse_session_exited(se));
    if (r == -EAGAIN || r == -EINTR) {
      // Nothing came: the reader is slower than the window (tail -f, a poller). Polling again
      // before a while has passed would only burn the CPU the modules need.
      polls_missed.fetch_add(1, std::memory_order_relaxed);
      no_poll_until.store((Clock::now() + kPollBackoff).time_since_epoch().count(),
                          std::memory_order_relaxed);
      caught_in_a_row = 0;
      if (aside.load(std::memory_order_relaxed)) set_aside(false);
    } else {
      polls_caught.fetch_add(1, std::memory_order_relaxed);
      if (++caught_in_a_row >= kSetAsideAfter && !aside.load(std::memory_order_relaxed))
        set_aside(true);
    }
    polling.store(false, std::memory_order_release);
    return r;
  }

  // A log grew to `size`; called on the writer's thread right after the bytes were published
  // in the tree, before flush() returns. Synchronous (never from an op handler; no lock held
  // while the kernel works).
  void log_grew(Ino ino, std::uint64_t size) {
    bool held = false;
    const std::uint64_t old = ctx.log_size(ino, &held);
    if (!ctx.page_cache) {
      // direct_io: getattr already shows the new size, reads do not yet. Drop the cached
      // attributes (and any getattr reply under way) before reads may return the new bytes,
      // so no stat can show less than a read returned.
      if (held && size > old) {
        fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
        ++sent;
      }
      ctx.advance_log_size(ino, size);
      return;
    }
    // Through the page cache: the kernel may hold the old last page, partly zero where the
    // new bytes are. Drop it and everything after it first, then let getattr report the new
    // size, then drop the cached attributes, so no reader pairs the new size with the old
    // page.
    if (held && size > old) {
      const auto from = static_cast<off_t>(old - old % page_bytes);
      fuse_lowlevel_notify_inval_inode(se, ino, from, 0);
      ++sent;
    }
    if (ctx.advance_log_size(ino, size)) {
      fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
      ++sent;
    }
  }

  void notify_loop() {
    std::unique_lock l(mu);
    while (true) {
      cv.wait(l, [&] { return stopping || !dirty.empty(); });
      if (stopping) return;
      std::set<std::uint64_t> batch;
      batch.swap(dirty);
      l.unlock();
      // Attributes only (off < 0): folders and blobs (direct_io) have no cached pages.
      for (std::uint64_t ino : batch) fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
      sent += batch.size();
      l.lock();
    }
  }
};

Mount::Mount(Tree& tree, fs::path mountpoint)
    : impl_(std::make_unique<Impl>(tree, std::move(mountpoint))) {
  Impl& m = *impl_;
  m.mountpoint = fs::absolute(m.mountpoint).lexically_normal();
  if (!m.mountpoint.has_filename()) m.mountpoint = m.mountpoint.parent_path();  // "dir/"
  const std::string mp = m.mountpoint.string();
  recover_stale(m.mountpoint);
  std::error_code ec;
  if (!fs::exists(m.mountpoint, ec)) {
    fs::create_directories(m.mountpoint, ec);
    if (ec) throw_errno("create mountpoint", mp, ec.value());
    ::chmod(mp.c_str(), 0700);
  }

  m.ctx.tree = &tree;
  m.ctx.uid = ::getuid();
  m.ctx.gid = ::getgid();
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in the process calls setenv.
  if (const char* s = std::getenv("ZINNIA_FUSE_SPLICE")) m.ctx.splice = std::string(s) != "0";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above.
  if (const char* s = std::getenv("ZINNIA_FUSE_POLL_US"))
    m.poll_for = std::chrono::microseconds(std::strtoul(s, nullptr, 10));
  // On one CPU a polling worker only keeps the reader from running.
  cpu_set_t cpus;
  if (::sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2)
    m.poll_for = std::chrono::microseconds(0);
  if (m.ctx.splice) {
    const std::uint32_t fit = read_size_for_splice(m.page_bytes);
    m.ctx.splice = fit != 0;
    if (fit != 0) m.ctx.max_read = fit;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above.
  if (const char* s = std::getenv("ZINNIA_FUSE_PAGE_CACHE"))
    m.ctx.page_cache = std::string(s) == "1";
  fuse_lowlevel_ops ops{};
  fuseops::add_attr_ops(ops);
  fuseops::add_dir_ops(ops);
  fuseops::add_read_ops(ops);
  fuseops::add_write_ops(ops);
  ops.init = op_init;
  const std::string opts = "ro,default_permissions,fsname=zinnia,subtype=zinnia,max_read=" +
                           std::to_string(m.ctx.max_read);
  const char* argv[] = {"zinnia", "-o", opts.c_str()};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  m.se = fuse_session_new(&args, &ops, sizeof(ops), &m.ctx);
  fuse_opt_free_args(&args);
  if (!m.se) throw_errno("create FUSE session for", mp, EINVAL);
  if (fuse_session_mount(m.se, mp.c_str()) != 0) {
    fuse_session_destroy(m.se);
    throw_errno("mount FUSE at", mp, EIO);
  }
  // Non-blocking: workers epoll the fd with the stop eventfd, so stopping never depends on
  // the kernel waking a blocked read (it does not while files on the mount are still open).
  const int fd = fuse_session_fd(m.se);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  m.stop_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  m.aside_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!m.stop_fd || !m.aside_fd) {
    int err = errno;
    ::umount2(mp.c_str(), MNT_DETACH);
    fuse_session_unmount(m.se);
    fuse_session_destroy(m.se);
    throw_errno("eventfd for", mp, err);
  }
  for (int i = 0; i < kWorkers; ++i) m.workers.emplace_back([&m] { m.serve(); });
  m.notifier = std::thread([&m] { m.notify_loop(); });
  m.changes = tree.subscribe([&m](Ino ino) {
    Attr a;
    if (m.tree.getattr(ino, &a)) return;
    if (a.kind == NodeKind::kLog) return m.log_grew(ino, a.size);
    if (!m.ctx.held(ino)) return;  // the kernel has no attributes of it to drop
    {
      std::lock_guard l(m.mu);
      m.dirty.insert(ino);
    }
    m.cv.notify_one();
  });
}

Mount::~Mount() {
  Impl& m = *impl_;
  m.changes.reset();
  {
    std::lock_guard l(m.mu);
    m.stopping = true;
  }
  m.cv.notify_one();
  m.notifier.join();
  // The workers poll() with the stop eventfd, so they end without the kernel's help (a read
  // blocked on /dev/fuse is not woken while files on the mount are still open). Then libfuse
  // closes the fd, which aborts the connection (open files get ENOTCONN), and detaches the
  // mount (umount2 MNT_DETACH as root, else fusermount3 -u -z).
  fuse_session_exit(m.se);
  std::uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(m.stop_fd.get(), &one, sizeof(one));
  m.set_aside(false);  // workers set aside go back to epoll, where the stop eventfd is
  for (auto& t : m.workers) t.join();
  fuse_session_unmount(m.se);
  fuse_session_destroy(m.se);
}

const fs::path& Mount::mountpoint() const { return impl_->mountpoint; }

std::uint64_t Mount::invalidations() const { return impl_->sent.load(); }

std::uint64_t Mount::requests() const {
  return impl_->ctx.requests.load(std::memory_order_relaxed);
}

Mount::ReadStats Mount::read_stats() const {
  ReadStats s;
  s.polls_caught = impl_->polls_caught.load(std::memory_order_relaxed);
  s.polls_missed = impl_->polls_missed.load(std::memory_order_relaxed);
  s.set_asides = impl_->set_asides.load(std::memory_order_relaxed);
  s.aside_now = impl_->aside.load(std::memory_order_relaxed);
  return s;
}

void Mount::slow_reads_for_test(std::uint64_t ino, std::uint32_t ms) {
  impl_->ctx.slow_ino.store(ino, std::memory_order_relaxed);
  impl_->ctx.slow_ms.store(ms, std::memory_order_relaxed);
}

std::uint64_t Mount::live_readers() const {
  const std::int64_t n = impl_->ctx.open_files.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

}  // namespace zinnia::fusefs
