#pragma once
// The file access a module gets through `zinnia:fs`, and its vocabulary (error kinds, stat,
// directory entries). Declared once here, below both sides: the engine calls it
// (engine/fs), the monitor tree's guest face implements it (fusefs/guest). Depends on
// nothing but the standard library.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zinnia {

class GuestFs {
 public:
  // What a guest is told. Never carries a host path: callers pair it with the guest path.
  enum class Error : std::uint8_t {
    kOk,
    kNotFound,          // inside a grant, nothing there
    kPermissionDenied,  // outside every grant, an escape attempt, a bad path, or a write
    kNotADirectory,
    kIsADirectory,
    kNotSupported,  // follow() of a host-folder file: only monitor-tree files can be followed
    kIo,            // the host folder failed underneath (EIO and friends)
    kNotAFile,      // a FIFO, socket or device: never opened (it could block or never end)
    kTooLarge,      // readFile of a file larger than the read limit
  };
  struct Stat {
    std::uint64_t size = 0;
    std::int64_t mtime_ms = 0;  // milliseconds since the epoch
    bool is_file = false;
    bool is_directory = false;
  };
  struct Entry {
    std::string name;
    bool is_file = false;
    bool is_directory = false;
  };
  // Unsubscribes when destroyed; after that, `changed` is never called again (a destructor
  // running inside `changed` itself returns at once).
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };

  virtual ~GuestFs() = default;
  // Methods may block on disk (callers run them off the module's loop); thread-safe.
  virtual Error stat(const std::string& path, Stat& out) = 0;
  virtual Error read_file(const std::string& path, std::string& out) = 0;
  virtual Error read(const std::string& path, std::uint64_t offset, std::size_t max,
                     std::string& out) = 0;
  virtual Error list(const std::string& path, std::vector<Entry>& out) = 0;
  // Calls `changed` (from any thread, quickly) when the file appears, grows or is replaced.
  // Only a growing file can be watched: a folder is IsADirectory, a file that is rewritten
  // whole (or a host file) NotSupported; a path that does not exist yet is watched.
  virtual Error watch(const std::string& path, std::function<void()> changed,
                      std::unique_ptr<Subscription>& out) = 0;
};

// "NotFound", "PermissionDenied", ...: the JS error class names.
const char* guest_fs_error_name(GuestFs::Error error);

// What the guest may learn of an errno from a file access.
GuestFs::Error guest_fs_error_from_errno(int err);

}  // namespace zinnia
