#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/fs/guest_fs.h"
#include "engine/sink.h"

namespace zinnia::engine {

// CPU sharing (ModuleOptions::share_cpu): a module thread that wants a core (runs or waits
// to run) kBusyPercent of a kCpuWindow moves to nice kBackgroundNice if it spent the window
// in one turn, or if it ran kBusyLoopRunPercent of a core sleeping less often than every
// kMaxSleepInterval on average (watchdog.cc says why both).
inline constexpr std::chrono::milliseconds kCpuWindow{500};
inline constexpr int kBusyPercent = 80;
inline constexpr int kBusyLoopRunPercent = 50;
inline constexpr std::chrono::milliseconds kMaxSleepInterval{10};
inline constexpr int kBackgroundNice = 19;

struct ModuleOptions {
  std::string name;             // component name, e.g. "spark"
  std::filesystem::path entry;  // the entry file
  bool sandboxed = true;        // imports resolve only inside the entry's folder
  std::string wallet_address;   // Zinnia.walletAddress
  std::string station_id;       // Zinnia.stationId
  std::size_t heap_limit_bytes = std::size_t{256} << 20;
  // ArrayBuffers, typed arrays and WebAssembly memory together (they live outside the heap);
  // past it the module ends as kOutOfMemory. 0: unlimited.
  std::size_t external_limit_bytes = std::size_t{256} << 20;
  std::chrono::milliseconds hang_timeout{30'000};  // one turn of JS longer than this: kHung
  std::shared_ptr<GuestFs> fs;  // zinnia:fs; null: every path is PermissionDenied
  std::string user_agent;       // fetch's User-Agent: "zinniad/<version> <component>"
  bool colors = false;          // zinnia:test may colour its report (stdout is a terminal)
  // Move the module's thread to background priority once it keeps a core busy (see
  // WatchedModule); for modules that share a process with others.
  bool share_cpu = false;
};

struct HeapUsage {
  std::size_t used = 0;
  std::size_t limit = 0;
};

// One running module: its own thread, isolate, context and event loop.
class Module {
 public:
  // Starts the module on a new thread; returns at once. `sink` must outlive the Module.
  Module(ModuleOptions options, Sink& sink);
  ~Module();  // stop() and join()
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Asks the module to stop: terminates running JavaScript, then the thread drains and
  // disposes the isolate and calls Sink::exited(kStopped). Returns at once; safe from any
  // thread, any number of times.
  void stop();
  // Waits for the module's thread to end.
  void join();
  // True once Sink::exited has been called.
  bool done() const;
  // Heap figures sampled on the module's thread (at most a turn old).
  HeapUsage heap_usage() const;
  const ModuleOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::engine
