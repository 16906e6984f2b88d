#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/fs/guest_fs.h"
#include "engine/runtime/sink.h"

namespace zinnia::engine {

struct ModuleOptions {
  std::string name;             // component name, e.g. "spark"
  std::filesystem::path entry;  // the entry file
  bool sandboxed = true;        // imports resolve only inside the entry's folder
  std::string wallet_address;   // Zinnia.walletAddress
  std::string station_id;       // Zinnia.stationId
  std::size_t heap_limit_bytes = std::size_t{256} << 20;
  std::chrono::milliseconds hang_timeout{30'000};  // one turn of JS longer than this: kHung
  std::shared_ptr<GuestFs> fs;  // zinnia:fs; null: every path is PermissionDenied
  std::string user_agent;       // fetch's User-Agent: "zinniad/<version> <component>"
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
