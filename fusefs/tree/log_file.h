#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fusefs/tree/tree.h"

namespace zinnia::fusefs::detail {

// An open persisted file shared by the writer and readers; a reader keeps a generation
// alive (for pread) even after rotation renamed or replaced it.
struct FileRef {
  explicit FileRef(int f) : fd(f) {}
  ~FileRef();
  FileRef(const FileRef&) = delete;
  FileRef& operator=(const FileRef&) = delete;
  int fd;
};

// A log: a queue for writers, the persisted file, and the last window_bytes in a ring.
class LogImpl final : public LogFile {
 public:
  struct Options {
    std::filesystem::path file;  // .../logs/<component>/stdout.txt
    std::size_t window_bytes;
    std::uint64_t rotate_bytes;
    std::function<void(const std::string&)> on_error;
    std::function<void()> on_publish;  // after new bytes became visible
    // Followed as given (the user's --spin-root may be a link); below it no symlink is ever
    // followed. Empty: only the file's own folder is taken as given.
    std::filesystem::path root = {};
  };
  static constexpr std::size_t kAutoFlushBytes = std::size_t{64} * 1024;

  explicit LogImpl(Options options);
  ~LogImpl() override;

  void append(std::string_view bytes) override;
  void flush() override;
  std::uint64_t size() const override;

  // Time of the last append, ns since the epoch (the file's mtime at open before that).
  std::int64_t mtime_ns() const;
  // Bytes [offset, offset + n) clipped to size() into buf; returns the count.
  std::size_t read(std::uint64_t offset, char* buf, std::size_t n) const;

  // Where bytes [offset, offset + n) (clipped to size()) lie in one persisted file, for
  // zero-copy replies. False when they are not all in a single persisted segment.
  struct DiskRange {
    std::shared_ptr<FileRef> file;
    std::uint64_t file_off = 0;
    std::size_t len = 0;
  };
  bool disk_range(std::uint64_t offset, std::size_t n, DiskRange* out) const;
  // Where the newest run of kept bytes starts: from there to size() every byte is the true
  // one (in memory or persisted); before it some are kept nowhere and read as filler.
  std::uint64_t held_from() const;

 private:
  // Where logical bytes live on disk: [logical, logical + len) at file_off in file.
  struct Segment {
    std::uint64_t logical;
    std::uint64_t len;
    std::shared_ptr<FileRef> file;
    std::uint64_t file_off;
  };

  int open_folder();  // the file's folder, walked without following links; -1 reported
  void open_file();   // write_mu_ held
  void rotate();      // write_mu_ held
  std::uint64_t persist(const std::string& batch, std::uint64_t* file_off);  // bytes written
  void report(const std::string& what, int err);                             // write_mu_ held
  void report_text(const std::string& message);                              // write_mu_ held
  void publish(const std::string& batch, std::uint64_t written, std::uint64_t file_off,
               bool truncated);

  Options opt_;

  std::mutex queue_mu_;
  std::string queue_;

  // Serialises flushes, so file order == publish order == queue order.
  std::mutex write_mu_;
  std::shared_ptr<FileRef> cur_;  // null while the file cannot be opened
  std::uint64_t file_len_ = 0;
  bool failing_ = false;

  // What readers see. Writers hold it exclusively only to copy a batch into the ring.
  mutable std::shared_mutex data_mu_;
  // Byte at logical L lives at ring_.data()[L % window_bytes]. Mapped at the first batch, so
  // only the pages bytes were written to are resident: a log with one line costs one page,
  // not window_bytes (1 MiB by default; zero-filling it cost every module 1 MiB).
  class Ring {
   public:
    Ring() = default;
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    void allocate(std::size_t n);  // once; throws std::bad_alloc
    char* data() const { return data_; }
    std::size_t size() const { return size_; }

   private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
  };
  Ring ring_;
  std::uint64_t size_ = 0;
  std::uint64_t mem_base_ = 0;  // bytes before this were never in memory (restart)
  std::int64_t mtime_ns_ = 0;
  std::vector<Segment> segments_;
};

}  // namespace zinnia::fusefs::detail
