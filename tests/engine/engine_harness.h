#pragma once
// Runs real modules (real V8, real threads) and records what they send to the Sink.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "engine/runtime/module.h"
#include "engine/sink.h"
#include "engine/v8/platform.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace zinnia::engine::testing {

struct Event {
  enum Kind { kConsole, kActivity, kJob, kExit } kind;
  Level level = Level::kInfo;
  std::string text;
  bool operator==(const Event&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* kinds[] = {"console", "activity", "job", "exit"};
  static const char* levels[] = {"debug", "info", "warn", "error"};
  return os << kinds[e.kind] << "/" << levels[static_cast<int>(e.level)] << ": " << e.text;
}

class RecordingSink : public Sink {
 public:
  void console(Level level, std::string_view text) override {
    std::lock_guard lock(mu_);
    events_.push_back({Event::kConsole, level, std::string(text)});
  }
  void activity(Level level, std::string_view message) override {
    std::lock_guard lock(mu_);
    events_.push_back({Event::kActivity, level, std::string(message)});
  }
  void job_completed() override {
    std::lock_guard lock(mu_);
    events_.push_back({Event::kJob, Level::kInfo, ""});
  }
  void turn_end() override { turns_.fetch_add(1); }
  // Records the module thread's nice value as it is told it runs at background priority.
  void background(int busy_percent) override {
    background_nice_.store(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())));
    background_lines_.store(lines().size());
    background_percent_.store(busy_percent);
  }
  void exited(const Exit& exit) override {
    std::lock_guard lock(mu_);
    exit_ = exit;
    exited_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return exited_; });
  }
  std::vector<Event> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  // console text only, one entry per call
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& e : events_)
      if (e.kind == Event::kConsole) out.push_back(e.text);
    return out;
  }
  Exit exit() {
    std::lock_guard lock(mu_);
    return exit_;
  }
  std::atomic<int> turns_{0};
  std::atomic<int> background_percent_{0}, background_nice_{0};
  std::atomic<std::size_t> background_lines_{0};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  Exit exit_;
  bool exited_ = false;
};

using zinnia::testing::write_file;

inline std::filesystem::path fixture(std::string_view name) {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/engine/fixtures" / name;
}

inline ModuleOptions options_for(const std::filesystem::path& entry) {
  ModuleOptions o;
  o.name = "test";
  o.entry = entry;
  o.wallet_address = "0x000000000000000000000000000000000000dEaD";
  o.station_id = std::string(88, '0');
  return o;
}

struct Run {
  std::vector<Event> events;
  std::vector<std::string> lines;
  Exit exit;
};

// Runs `entry` to its end (10 s at most) and returns what it produced.
inline Run run_file(const std::filesystem::path& entry, ModuleOptions options) {
  initialize_v8();
  RecordingSink sink;
  options.entry = entry;
  Module module(std::move(options), sink);
  bool finished = sink.wait();
  if (!finished) module.stop();
  module.join();
  Run r{sink.events(), sink.lines(), sink.exit()};
  if (!finished) r.exit.message = "TEST TIMEOUT: " + r.exit.message;
  return r;
}
inline Run run_file(const std::filesystem::path& entry) {
  return run_file(entry, options_for(entry));
}

// Writes `source` as main.js in a fresh folder and runs it.
inline Run run_js(std::string_view source, ModuleOptions options = options_for("")) {
  zinnia::testing::TempDir dir;
  write_file(dir.path() / "main.js", source);
  return run_file(dir.path() / "main.js", std::move(options));
}

// A sibling that ticks every 10 ms and prints how many ticks it saw when stopped.
constexpr std::string_view kTicker = R"js(
  let ticks = 0;
  setInterval(() => { ticks++; if (ticks % 5 === 0) console.log("tick", ticks); }, 10);
)js";

// A module started from `source` in its own folder, running on its own thread.
struct Started {
  zinnia::testing::TempDir dir;
  RecordingSink sink;
  std::unique_ptr<Module> module;
  Started(std::string_view source, ModuleOptions options) {
    initialize_v8();
    write_file(dir.path() / "main.js", source);
    options.entry = dir.path() / "main.js";
    module = std::make_unique<Module>(std::move(options), sink);
  }
};

}  // namespace zinnia::engine::testing
