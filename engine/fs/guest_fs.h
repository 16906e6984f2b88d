#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zinnia::engine {

// The files one module may read through `zinnia:fs`. Implemented outside the engine (the
// daemon adapts the monitor tree's guest face to it). Methods may block on disk: the engine
// calls them on libuv's thread pool, never on the module's loop. Must be thread-safe.
class GuestFs {
 public:
  enum class Error : std::uint8_t {
    kOk,
    kNotFound,
    kPermissionDenied,
    kNotADirectory,
    kIsADirectory,
    kNotSupported,
    kIo,
  };
  struct Stat {
    std::uint64_t size = 0;
    std::int64_t mtime_ms = 0;
    bool is_file = false;
    bool is_directory = false;
  };
  struct Entry {
    std::string name;
    bool is_file = false;
    bool is_directory = false;
  };
  // Unsubscribes when destroyed; after that, `changed` is never called again.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };

  virtual ~GuestFs() = default;
  virtual Error stat(const std::string& path, Stat& out) = 0;
  virtual Error read_file(const std::string& path, std::string& out) = 0;
  virtual Error read(const std::string& path, std::uint64_t offset, std::size_t max,
                     std::string& out) = 0;
  virtual Error list(const std::string& path, std::vector<Entry>& out) = 0;
  // Calls `changed` (from any thread, quickly) when the file appears, grows or is replaced.
  virtual Error watch(const std::string& path, std::function<void()> changed,
                      std::unique_ptr<Subscription>& out) = 0;
};

// "NotFound", "PermissionDenied", ...: the JS error class names.
const char* guest_fs_error_name(GuestFs::Error error);

}  // namespace zinnia::engine
