#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/core/stack_frames.h"
#include "daemon/version.h"
#include "engine/runtime/module.h"
#include "engine/runtime/runtime.h"
#include "util/version.h"

namespace {
constexpr const char kUsage[] = R"(Usage: zinnia run FILE
Runs one module with no sandbox and human-readable output.

  run FILE           run the ES module FILE
  -h, --help         usage;  -V, --version  version
)";

using Clock = std::chrono::steady_clock;

// Human output for one module, like Zinnia's CLI.
class DevSink final : public zinnia::engine::Sink {
 public:
  explicit DevSink(bool color) : color_(color), line_flush_(::isatty(1) || ::isatty(2)) {}

  // Output to a file or pipe is flushed at the end of each event-loop turn (one write per
  // turn, not per line); on a terminal every line. Switching streams flushes the other one
  // first, so stdout and stderr lines keep their order when they go to the same place.
  void console(zinnia::engine::Level level, std::string_view text) override {
    std::lock_guard lock(mutex_);
    std::FILE* f = level >= zinnia::engine::Level::kWarn ? stderr : stdout;
    if (last_ && last_ != f) std::fflush(last_);
    last_ = f;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fputc('\n', f);
    if (line_flush_) std::fflush(f);
  }
  void turn_end() override {
    std::lock_guard lock(mutex_);
    flush_console();
  }
  void activity(zinnia::engine::Level level, std::string_view message) override {
    const bool error = level == zinnia::engine::Level::kError;
    print(error ? "ERROR" : " INFO", error ? "\x1b[31m" : "\x1b[32m", message);
  }
  void job_completed() override { jobs_.fetch_add(1); }
  void exited(const zinnia::engine::Exit& exit) override {
    std::lock_guard lock(mutex_);
    flush_console();
    exit_ = exit;
    done_.store(true);
    done_cv_.notify_all();
  }
  // Waits until the module has ended or `max` has passed.
  void wait_done(std::chrono::milliseconds max) {
    std::unique_lock lock(mutex_);
    done_cv_.wait_for(lock, max, [&] { return done_.load(); });
  }

  // Prints "[... STATS] Jobs completed: N" when the count moved (at most every 500 ms,
  // unless `final`).
  void stats(bool final) {
    const auto now = Clock::now();
    const std::uint64_t jobs = jobs_.load();
    if (jobs == reported_ || (!final && now - last_stats_ < std::chrono::milliseconds(500))) return;
    reported_ = jobs;
    last_stats_ = now;
    print("STATS", "\x1b[36m", "Jobs completed: " + std::to_string(jobs));
  }
  bool done() const { return done_.load(); }
  zinnia::engine::Exit exit() {
    std::lock_guard lock(mutex_);
    return exit_;
  }

 private:
  void print(const char* tag, const char* tag_color, std::string_view message) {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t t = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    std::lock_guard lock(mutex_);
    flush_console();
    if (color_) {
      std::fprintf(stdout, "[%s %s%s\x1b[0m] %.*s\n", stamp, tag_color, tag,
                   static_cast<int>(message.size()), message.data());
    } else {
      std::fprintf(stdout, "[%s %s] %.*s\n", stamp, tag, static_cast<int>(message.size()),
                   message.data());
    }
    std::fflush(stdout);
  }

  void flush_console() {  // mutex_ held
    if (last_) std::fflush(last_);
    last_ = nullptr;
  }

  bool color_;
  bool line_flush_;
  std::FILE* last_ = nullptr;  // the stream console() wrote to since the last flush
  std::condition_variable done_cv_;
  std::mutex mutex_;
  std::atomic<std::uint64_t> jobs_{0};
  std::uint64_t reported_ = 0;
  Clock::time_point last_stats_{};
  std::atomic<bool> done_{false};
  zinnia::engine::Exit exit_;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "zinnia: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "-V") || !std::strcmp(argv[i], "--version")) {
      std::puts(zinnia::daemon::version_line("zinnia").c_str());
      return 0;
    }
    args.emplace_back(argv[i]);
  }
  if (args.empty()) return usage_error("missing command");
  if (args[0] != "run") return usage_error("unknown command '" + args[0] + "'");
  if (args.size() < 2) return usage_error("run: missing FILE");
  if (args.size() > 2) return usage_error("run: unexpected argument '" + args[2] + "'");
  if (args[1].size() > 1 && args[1][0] == '-')
    return usage_error("run: unknown flag '" + args[1] + "'");
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::absolute(args[1], ec);
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::fprintf(stderr, "zinnia: run: module file not found: %s\n", args[1].c_str());
    return 2;
  }

  const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe): no setenv
  const bool color = !(no_color && *no_color) && ::isatty(1);
  DevSink sink(color);
  // One module: a spare isolate would be waste.
  const auto runtime = zinnia::engine::Runtime::acquire({.spare_isolate = false});
  zinnia::engine::ModuleOptions options;
  options.name = file.stem().string();
  options.entry = file;
  options.sandboxed = false;
  options.wallet_address = "0x000000000000000000000000000000000000dEaD";
  options.station_id = std::string(88, '0');
  options.hang_timeout = std::chrono::hours(24 * 365);  // a developer's loop is theirs to stop
  options.user_agent = std::string("zinnia/") + zinnia::kVersion;  // as the real zinnia's fetch
  options.colors = color;
  {
    zinnia::engine::Module module(std::move(options), sink);
    while (!sink.done()) {
      sink.wait_done(std::chrono::milliseconds(20));  // returns at once when the module ends
      sink.stats(false);
    }
    module.join();
  }
  sink.stats(true);
  const auto exit = sink.exit();
  if (exit.reason == zinnia::engine::ExitReason::kFinished) return exit.code;
  std::string report = "error: " + exit.message;
  if (!exit.source.empty()) report += "\n" + exit.source;  // as Deno: the line and a caret
  if (std::string frames = zinnia::daemon::stack_frames(exit.stack); !frames.empty())
    report += "\n" + frames;
  std::fprintf(stderr, "%s\n", report.c_str());
  return 1;
}
