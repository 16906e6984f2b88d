#include "fusefs/tree/log_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <new>
#include <system_error>

#include "util/error.h"
#include "util/fd_reserve.h"

namespace zinnia::fusefs::detail {
namespace {

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Bytes of the live file that are kept nowhere any more (rotated away twice, never persisted,
// or truncated from outside) read as text, never as NUL: lines of spaces, 4 KiB long, each
// ending in a newline, the first one naming what happened, and the last byte before kept
// bytes a newline, so the first kept line starts a line. A pure function of the offset and
// of where the kept bytes resume, so offsets stay true and a re-read gives the same bytes.
constexpr std::string_view kGone =
    "[zinnia: the bytes up to the next full line are no longer kept (rotated away or "
    "truncated); the live file's offsets stay true]";
constexpr std::uint64_t kGoneLine = 4096;

void fill_gone(char* dst, std::uint64_t from, std::uint64_t to, std::uint64_t resume) {
  for (std::uint64_t o = from; o < to; ++o) {
    char c = ' ';
    if (o + 1 == resume || o % kGoneLine == kGoneLine - 1)
      c = '\n';
    else if (o < kGone.size())
      c = kGone[o];
    *dst++ = c;
  }
}

}  // namespace

FileRef::~FileRef() {
  close_reserved(fd);  // the slot stays ours while a module's sockets take every free fd
}

LogImpl::LogImpl(Options options) : opt_(std::move(options)) {
  std::lock_guard wl(write_mu_);
  open_file();
  std::unique_lock dl(data_mu_);
  if (cur_) {
    // Restart: the live file continues the persisted one; its bytes are served from disk.
    size_ = mem_base_ = file_len_;
    if (file_len_ > 0) segments_.push_back({0, file_len_, cur_, 0});
    struct stat st {};
    if (::fstat(cur_->fd, &st) == 0)
      mtime_ns_ = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  if (mtime_ns_ == 0) mtime_ns_ = now_ns();
}

LogImpl::~LogImpl() {
  try {
    flush();
  } catch (...) {  // destructors must not throw; persistence errors were reported
  }
}

void LogImpl::report(const std::string& what, int err) {
  report_text(errno_message(what, opt_.file.string(), err));
}

void LogImpl::report_text(const std::string& message) {
  if (failing_) return;
  failing_ = true;
  const std::string msg = message + " (the log stays readable in memory; retrying on each flush)";
  if (opt_.on_error)
    opt_.on_error(msg);
  else
    std::cerr << "zinniad: " << msg << std::endl;
}

int LogImpl::open_folder() {
  namespace fs = std::filesystem;
  const fs::path folder = opt_.file.parent_path();
  fs::path top = opt_.root.lexically_normal();
  if (!top.empty() && !top.has_filename()) top = top.parent_path();  // "spin/" -> "spin"
  fs::path rel = top.empty() ? fs::path() : folder.lexically_normal().lexically_relative(top);
  if (rel.empty() || *rel.begin() == "..") {
    top = folder;
    rel = ".";
  }
  std::error_code ec;
  fs::create_directories(top, ec);  // the spin-root itself, as given
  ReservedFd dir(
      open_reserved([&] { return ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (!dir) {
    report_text(errno_message("open folder", top.string(), errno));
    return -1;
  }
  // Down to the file's folder one name at a time, never through a link: a link planted as
  // <app>, logs or <component> would send module output to wherever it points (issue 19 #11).
  fs::path walked = top;
  for (const auto& name : rel) {
    if (name.empty() || name == ".") continue;
    walked /= name;
    if (::mkdirat(dir.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      report("create folder for", errno);
      return -1;
    }
    ReservedFd next(open_reserved([&] {
      return ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }));
    if (!next) {
      const int err = errno;
      struct stat st {};
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        report_text(walked.string() +
                    " is a symbolic link; zinniad follows no link below the spin-root (remove "
                    "it, or set --spin-root / SPIN_ROOT to keep logs elsewhere)");
      } else {
        report("open folder " + walked.string() + " for", err);
      }
      return -1;
    }
    dir = std::move(next);
  }
  ::fchmod(dir.get(), 0700);
  return dir.release();
}

void LogImpl::open_file() {
  ReservedFd dir(open_folder());
  if (!dir) return;
  const std::string name = opt_.file.filename().string();
  constexpr int kFlags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  int fd = open_reserved([&] { return ::openat(dir.get(), name.c_str(), kFlags, 0600); });
  if (fd < 0 && errno == ELOOP) {
    // A link planted as the log: replace the link itself (its target is never opened,
    // appended to or served), then create the file afresh, refusing anything planted again.
    char target[4096] = {};
    const ssize_t n = ::readlinkat(dir.get(), name.c_str(), target, sizeof target - 1);
    if (::unlinkat(dir.get(), name.c_str(), 0) != 0) {
      report("remove the symbolic link", errno);
      return;
    }
    fd = open_reserved([&] { return ::openat(dir.get(), name.c_str(), kFlags | O_EXCL, 0600); });
    if (fd >= 0) {
      const std::string msg = opt_.file.string() + " was a symbolic link" +
                              (n > 0 ? " to " + std::string(target) : std::string()) +
                              "; replaced it with a new log file (zinniad never writes through "
                              "links; the link's target is untouched)";
      if (opt_.on_error)
        opt_.on_error(msg);
      else
        std::cerr << "zinniad: " << msg << std::endl;
    }
  }
  if (fd < 0) {
    report("open", errno);
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = S_ISREG(st.st_mode) ? errno : EINVAL;
    close_reserved(fd);
    report("open", err);
    return;
  }
  cur_ = std::make_shared<FileRef>(fd);
  file_len_ = static_cast<std::uint64_t>(st.st_size);
}

void LogImpl::rotate() {
  // Renamed inside the folder reached without links (a link planted in the path would
  // otherwise move the rename elsewhere).
  ReservedFd dir(open_folder());
  if (!dir) return;
  const std::string name = opt_.file.filename().string();
  const std::string older = name + ".1";
  if (::renameat(dir.get(), name.c_str(), dir.get(), older.c_str()) != 0) {
    report("rotate", errno);
    return;
  }
  std::shared_ptr<FileRef> old = std::move(cur_);
  open_file();
  std::unique_lock dl(data_mu_);
  // Only the generation just renamed to .1 stays readable; the one it replaced is gone.
  std::erase_if(segments_, [&](const Segment& s) { return s.file != old; });
}

std::uint64_t LogImpl::persist(const std::string& batch, std::uint64_t* file_off) {
  if (!cur_) open_file();
  if (!cur_) return 0;
  if (file_len_ > 0 && file_len_ + batch.size() > opt_.rotate_bytes) {
    // Rotate by the file's real size: after an outside truncation (copytruncate, which may
    // have put its copy at stdout.txt.1) a rotation would replace that copy with the nearly
    // empty file. The write below then finds the truncation.
    struct stat st {};
    std::uint64_t real = file_len_;
    if (::fstat(cur_->fd, &st) == 0) real = std::min(real, static_cast<std::uint64_t>(st.st_size));
    if (real > 0 && real + batch.size() > opt_.rotate_bytes) {
      rotate();
      if (!cur_) return 0;
    }
  }
  *file_off = file_len_;
  std::uint64_t done = 0;
  while (done < batch.size()) {
    ssize_t n = ::write(cur_->fd, batch.data() + done, batch.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      report("write", errno);
      break;
    }
    done += static_cast<std::uint64_t>(n);
  }
  if (done == batch.size()) failing_ = false;
  // O_APPEND wrote at the file's real end, which is not file_len_ when someone truncated the
  // file (logrotate's copytruncate) or appended to it: ask where the bytes went.
  if (done > 0) {
    const off_t end = ::lseek(cur_->fd, 0, SEEK_CUR);
    if (end >= 0 && static_cast<std::uint64_t>(end) >= done)
      *file_off = static_cast<std::uint64_t>(end) - done;
  }
  return done;
}

void LogImpl::append(std::string_view bytes) {
  if (bytes.empty()) return;
  bool full;
  {
    std::lock_guard ql(queue_mu_);
    queue_.append(bytes);
    full = queue_.size() >= kAutoFlushBytes;
  }
  if (full) flush();
}

void LogImpl::flush() {
  {
    std::lock_guard wl(write_mu_);
    std::string batch;
    {
      std::lock_guard ql(queue_mu_);
      batch.swap(queue_);
    }
    if (batch.empty()) return;
    std::uint64_t file_off = 0;
    const std::uint64_t written = persist(batch, &file_off);
    const bool truncated = written > 0 && file_off < file_len_;
    if (written > 0) file_len_ = file_off + written;
    publish(batch, written, file_off, truncated);
  }
  if (opt_.on_publish) opt_.on_publish();
}

LogImpl::Ring::~Ring() {
  if (data_) ::munmap(data_, size_);
}

void LogImpl::Ring::allocate(std::size_t n) {
  // Anonymous memory is zero pages until written, whatever malloc's thresholds are.
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<char*>(p);
  size_ = n;
}

void LogImpl::publish(const std::string& batch, std::uint64_t written, std::uint64_t file_off,
                      bool truncated) {
  const std::size_t cap = opt_.window_bytes;
  std::unique_lock dl(data_mu_);
  if (truncated) {
    // Someone cut the persisted file to file_off: what we had past it there is gone (or,
    // for copytruncate, copied to a file we do not know). Those logical bytes are no longer
    // kept on disk; the new batch starts a new segment at the truncated size.
    std::erase_if(segments_,
                  [&](const Segment& s) { return s.file == cur_ && s.file_off >= file_off; });
    for (Segment& s : segments_)
      if (s.file == cur_ && s.file_off + s.len > file_off) s.len = file_off - s.file_off;
  }
  if (cap > 0 && ring_.size() != cap) ring_.allocate(cap);  // first batch only
  const std::uint64_t start = size_;
  if (written > 0) {
    if (!segments_.empty()) {
      Segment& last = segments_.back();
      if (!truncated && last.file == cur_ && last.logical + last.len == start &&
          last.file_off + last.len == file_off) {
        last.len += written;
        written = 0;
      }
    }
    if (written > 0) segments_.push_back({start, written, cur_, file_off});
  }
  if (cap > 0) {
    // Only the last `cap` bytes of a huge batch can be in the window.
    std::size_t skip = batch.size() > cap ? batch.size() - cap : 0;
    std::uint64_t pos = start + skip;
    const char* src = batch.data() + skip;
    std::size_t left = batch.size() - skip;
    while (left > 0) {
      std::size_t at = static_cast<std::size_t>(pos % cap);
      std::size_t n = std::min(left, cap - at);
      std::memcpy(ring_.data() + at, src, n);
      src += n;
      pos += n;
      left -= n;
    }
  }
  size_ = start + batch.size();
  mtime_ns_ = now_ns();
}

std::uint64_t LogImpl::size() const {
  std::shared_lock dl(data_mu_);
  return size_;
}

std::int64_t LogImpl::mtime_ns() const {
  std::shared_lock dl(data_mu_);
  return mtime_ns_;
}

std::uint64_t LogImpl::held_from() const {
  std::shared_lock dl(data_mu_);
  const std::uint64_t cap = opt_.window_bytes;
  std::uint64_t pos = std::max(mem_base_, size_ > cap ? size_ - cap : 0);
  // Walk back through the persisted segments while they join up with what follows.
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (it->logical >= pos) continue;
    if (it->logical + it->len < pos) break;
    pos = it->logical;
  }
  return pos;
}

std::size_t LogImpl::read(std::uint64_t offset, char* buf, std::size_t n) const {
  struct DiskPart {
    std::uint64_t logical;
    std::uint64_t len;
    std::shared_ptr<FileRef> file;
    std::uint64_t file_off;
  };
  // Bytes kept nowhere: [lo, hi), kept bytes resume at `resume`.
  struct Gap {
    std::uint64_t lo, hi, resume;
  };
  std::vector<DiskPart> parts;
  std::vector<Gap> gaps;
  std::uint64_t end;
  std::uint64_t mem_start;
  {
    std::shared_lock dl(data_mu_);
    if (offset >= size_) return 0;
    end = std::min<std::uint64_t>(size_, offset + n);
    const std::uint64_t cap = opt_.window_bytes;
    const std::uint64_t mem_lo = std::max(mem_base_, size_ > cap ? size_ - cap : 0);
    mem_start = std::clamp(mem_lo, offset, end);
    for (std::uint64_t pos = mem_start; pos < end;) {
      std::size_t at = static_cast<std::size_t>(pos % cap);
      std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, cap - at));
      std::memcpy(buf + (pos - offset), ring_.data() + at, k);
      pos += k;
    }
    if (offset < mem_start) {
      // Segments are sorted by logical offset; pick the ones overlapping [offset, mem_start).
      auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                                 [](std::uint64_t v, const Segment& s) { return v < s.logical; });
      if (it != segments_.begin()) --it;
      std::uint64_t pos = offset;
      for (; it != segments_.end() && it->logical < mem_start; ++it) {
        std::uint64_t lo = std::max(offset, it->logical);
        std::uint64_t hi = std::min(mem_start, it->logical + it->len);
        if (lo >= hi) continue;
        if (pos < lo) gaps.push_back({pos, lo, lo});
        parts.push_back({lo, hi - lo, it->file, it->file_off + (lo - it->logical)});
        pos = hi;
      }
      if (pos < mem_start)
        gaps.push_back(
            {pos, mem_start, it != segments_.end() ? std::min(mem_lo, it->logical) : mem_lo});
    }
  }
  // Bytes on disk never change once written (unless truncated from outside), so pread
  // outside the lock. What is kept nowhere, or a pread does not return, reads as text.
  for (const Gap& g : gaps) fill_gone(buf + (g.lo - offset), g.lo, g.hi, g.resume);
  for (const DiskPart& p : parts) {
    char* dst = buf + (p.logical - offset);
    std::uint64_t got = 0;
    while (got < p.len) {
      ssize_t r = ::pread(p.file->fd, dst + got, static_cast<std::size_t>(p.len - got),
                          static_cast<off_t>(p.file_off + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;  // truncated underneath us
      got += static_cast<std::uint64_t>(r);
    }
    if (got < p.len) fill_gone(dst + got, p.logical + got, p.logical + p.len, p.logical + p.len);
  }
  return static_cast<std::size_t>(end - offset);
}

bool LogImpl::disk_range(std::uint64_t offset, std::size_t n, DiskRange* out) const {
  std::shared_lock dl(data_mu_);
  if (offset >= size_) return false;
  const std::uint64_t end = std::min<std::uint64_t>(size_, offset + n);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](std::uint64_t v, const Segment& s) { return v < s.logical; });
  if (it == segments_.begin()) return false;
  --it;
  if (it->logical + it->len < end) return false;
  out->file = it->file;
  out->file_off = it->file_off + (offset - it->logical);
  out->len = static_cast<std::size_t>(end - offset);
  return true;
}

}  // namespace zinnia::fusefs::detail
