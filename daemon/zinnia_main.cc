#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "daemon/core/stack_frames.h"
#include "daemon/version.h"
#include "engine/runtime/module.h"
#include "engine/runtime/runtime.h"
#include "util/version.h"

namespace {
constexpr const char kUsage[] = R"(Usage: zinnia run FILE
       zinnia run --watch [--v8-flags=FLAGS] FILE
Runs one module with no sandbox and human-readable output.

  run FILE           run the ES module FILE
  --watch            run it again on every change in its folder (Ctrl-C ends)
  --v8-flags=FLAGS   extra V8 flags, comma-separated (e.g. --v8-flags=--max-lazy)
  -h, --help         usage;  -V, --version  version
)";

using Clock = std::chrono::steady_clock;

// Human output for one module, like Zinnia's CLI.
class DevSink final : public zinnia::engine::Sink {
 public:
  // `on_exit` runs on the module's thread after the exit is recorded (watch mode wakes its loop).
  explicit DevSink(bool color, std::function<void()> on_exit = {})
      : color_(color), line_flush_(::isatty(1) || ::isatty(2)), on_exit_(std::move(on_exit)) {}

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
    {
      std::lock_guard lock(mutex_);
      flush_console();
      exit_ = exit;
      done_.store(true);
      done_cv_.notify_all();
    }
    if (on_exit_) on_exit_();
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
  std::function<void()> on_exit_;
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

// Prints an exit that is not a clean finish like Deno (message, source line and caret,
// stack) and returns the process's exit code for it.
int report_exit(const zinnia::engine::Exit& exit) {
  if (exit.reason == zinnia::engine::ExitReason::kFinished) return exit.code;
  std::string report = "error: " + exit.message;
  if (!exit.source.empty()) report += "\n" + exit.source;  // as Deno: the line and a caret
  if (std::string frames = zinnia::daemon::stack_frames(exit.stack); !frames.empty())
    report += "\n" + frames;
  std::fprintf(stderr, "%s\n", report.c_str());
  std::fflush(stderr);
  return 1;
}

// zinnia run's cache folder: $XDG_CACHE_HOME/zinnia, else ~/.cache/zinnia; none (the code
// cache stays in memory) when neither is known.
std::filesystem::path cache_folder() {
  // NOLINTBEGIN(concurrency-mt-unsafe): the process never calls setenv
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/')
    return std::filesystem::path(xdg) / "zinnia";
  if (const char* home = std::getenv("HOME"); home && *home == '/')
    return std::filesystem::path(home) / ".cache" / "zinnia";
  // NOLINTEND(concurrency-mt-unsafe)
  return {};
}

// --watch: runs the module, and again in a fresh isolate of the same runtime (warm platform,
// spare isolate, code cache) after every change under its folder, until SIGINT or SIGTERM
// (exit 0). Everything happens on the main thread's libuv loop: inotify watches on the folder
// and its subfolders (libuv has no recursive watch on Linux), a debounce timer that turns a
// burst of events (an editor's write, rename and chmod) into one restart, the module's exit
// (an async wake-up from its thread) and the signals.
class Watcher {
 public:
  Watcher(std::filesystem::path entry, zinnia::engine::ModuleOptions options, bool color)
      : entry_(std::move(entry)),
        root_(entry_.parent_path()),
        options_(std::move(options)),
        color_(color),
        clear_(::isatty(1) != 0) {}
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  int run() {
    uv_loop_init(&loop_);
    loop_.data = this;
    uv_async_init(&loop_, &exited_, [](uv_async_t* h) { self(h)->on_module_exit(); });
    uv_timer_init(&loop_, &debounce_);
    uv_timer_init(&loop_, &stats_);
    uv_signal_init(&loop_, &sigint_);
    uv_signal_init(&loop_, &sigterm_);
    uv_signal_start(
        &sigint_, [](uv_signal_t* h, int) { self(h)->quit(); }, SIGINT);
    uv_signal_start(
        &sigterm_, [](uv_signal_t* h, int) { self(h)->quit(); }, SIGTERM);
    uv_timer_start(
        &stats_,
        [](uv_timer_t* h) {
          if (auto& sink = self(h)->sink_) sink->stats(false);
        },
        500, 500);
    watch_folders();
    say("Process started.");
    start_module();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    return 0;
  }

 private:
  template <typename H>
  static Watcher* self(H* handle) {
    return static_cast<Watcher*>(handle->loop->data);
  }

  void say(const char* text) const {
    if (color_)
      std::fprintf(stderr, "\x1b[35mWatcher\x1b[0m %s\n", text);
    else
      std::fprintf(stderr, "Watcher %s\n", text);
    std::fflush(stderr);
  }

  // Adds a watch for every folder under the root not watched yet (new folders appear between
  // runs). Hidden folders and node_modules are left out; so are folders past the first 1,000.
  void watch_folders() {
    std::vector<std::filesystem::path> dirs{root_};
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             root_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator() && dirs.size() < 1000;
         it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || name == "node_modules") {
        it.disable_recursion_pending();
        continue;
      }
      dirs.push_back(it->path());
    }
    for (const auto& dir : dirs) {
      if (!watched_.insert(dir.string()).second) continue;
      auto* h = new uv_fs_event_t;  // freed in its close callback
      uv_fs_event_init(&loop_, h);
      if (uv_fs_event_start(
              h,
              [](uv_fs_event_t* e, const char* file, int, int status) {
                if (status == 0) self(e)->on_change(file);
              },
              dir.c_str(), 0) != 0) {
        std::fprintf(stderr, "zinnia: --watch: cannot watch %s\n", dir.c_str());
        uv_close(reinterpret_cast<uv_handle_t*>(h),
                 [](uv_handle_t* x) { delete reinterpret_cast<uv_fs_event_t*>(x); });
        continue;
      }
      events_.push_back(h);
    }
  }

  // Only source files count: a module that writes logs or data next to itself must not
  // restart itself; editors' swap and backup files (.x.swp, x~, 4913) do not either.
  static bool relevant(std::string_view name) {
    if (name.empty() || name[0] == '.') return false;
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return false;
    const std::string_view ext = name.substr(dot);
    for (std::string_view e : {".js", ".mjs", ".cjs", ".json", ".ts", ".mts", ".jsx", ".tsx"})
      if (ext == e) return true;
    return false;
  }

  void on_change(const char* file) {
    if (quitting_ || (file && !relevant(file))) return;
    // Debounce: the restart happens once the folder has been quiet for kQuiet.
    constexpr std::uint64_t kQuiet = 30;
    uv_timer_start(
        &debounce_, [](uv_timer_t* h) { self(h)->restart(); }, kQuiet, 0);
  }

  void start_module() {
    sink_ = std::make_unique<DevSink>(color_, [this] { uv_async_send(&exited_); });
    module_ = std::make_unique<zinnia::engine::Module>(options_, *sink_);
  }

  // Ends the current run: stops the module if it still runs (its `stopped` exit is not
  // reported) and waits for its thread.
  void end_module() {
    if (!module_) return;
    module_->stop();
    module_->join();
    module_.reset();
    sink_.reset();
  }

  void on_module_exit() {
    if (!module_ || !sink_ || !sink_->done()) return;  // a run that was already replaced
    module_->join();
    sink_->stats(true);
    const auto exit = sink_->exit();
    const int code = report_exit(exit);
    module_.reset();
    sink_.reset();
    if (!quitting_)
      say(code == 0 && exit.reason == zinnia::engine::ExitReason::kFinished
              ? "Process finished. Restarting on file change..."
              : "Process failed. Restarting on file change...");
  }

  void restart() {
    if (quitting_) return;
    end_module();
    if (clear_) std::fputs("\x1b[2J\x1b[3J\x1b[H", stdout), std::fflush(stdout);
    say("File change detected! Restarting!");
    watch_folders();
    start_module();
  }

  void quit() {
    if (quitting_) return;
    quitting_ = true;
    end_module();
    for (auto* h : events_)
      uv_close(reinterpret_cast<uv_handle_t*>(h),
               [](uv_handle_t* x) { delete reinterpret_cast<uv_fs_event_t*>(x); });
    events_.clear();
    for (auto* h :
         {reinterpret_cast<uv_handle_t*>(&exited_), reinterpret_cast<uv_handle_t*>(&debounce_),
          reinterpret_cast<uv_handle_t*>(&stats_), reinterpret_cast<uv_handle_t*>(&sigint_),
          reinterpret_cast<uv_handle_t*>(&sigterm_)})
      uv_close(h, nullptr);
  }

  std::filesystem::path entry_, root_;
  zinnia::engine::ModuleOptions options_;
  bool color_;
  bool clear_;
  bool quitting_ = false;
  uv_loop_t loop_{};
  uv_async_t exited_{};
  uv_timer_t debounce_{}, stats_{};
  uv_signal_t sigint_{}, sigterm_{};
  std::vector<uv_fs_event_t*> events_;
  std::set<std::string> watched_;
  std::unique_ptr<DevSink> sink_;
  std::unique_ptr<zinnia::engine::Module> module_;
};

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
  bool watch = false;
  std::string v8_flags;
  std::size_t at = 1;
  for (; at < args.size() && args[at].size() > 1 && args[at][0] == '-'; ++at) {
    const std::string& a = args[at];
    if (a == "--watch") {
      watch = true;
    } else if (a.rfind("--v8-flags=", 0) == 0) {
      v8_flags = a.substr(11);
      for (char& c : v8_flags)
        if (c == ',') c = ' ';
    } else {
      return usage_error("run: unknown flag '" + a + "'");
    }
  }
  if (at >= args.size()) return usage_error("run: missing FILE");
  if (args.size() > at + 1) return usage_error("run: unexpected argument '" + args[at + 1] + "'");
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::absolute(args[at], ec);
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::fprintf(stderr, "zinnia: run: module file not found: %s\n", args[at].c_str());
    return 2;
  }

  const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe): no setenv
  const bool color = !(no_color && *no_color) && ::isatty(1);
  zinnia::engine::RuntimeOptions runtime_options;
  // One module: a spare isolate would be waste, except in watch mode, where the next run
  // takes it.
  runtime_options.spare_isolate = watch;
  runtime_options.v8_flags = v8_flags;
  runtime_options.snapshot = zinnia::engine::embedded_snapshot();
  if (auto folder = cache_folder(); !folder.empty())
    runtime_options.code_cache_dir = folder / "code-cache";
  const auto runtime = zinnia::engine::Runtime::acquire(runtime_options);
  zinnia::engine::ModuleOptions options;
  options.name = file.stem().string();
  options.entry = file;
  options.sandboxed = false;
  options.wallet_address = "0x000000000000000000000000000000000000dEaD";
  options.station_id = std::string(88, '0');
  options.hang_timeout = std::chrono::hours(24 * 365);  // a developer's loop is theirs to stop
  options.user_agent = std::string("zinnia/") + zinnia::kVersion;  // as the real zinnia's fetch
  options.colors = color;
  if (watch) return Watcher(file, std::move(options), color).run();

  DevSink sink(color);
  {
    zinnia::engine::Module module(std::move(options), sink);
    while (!sink.done()) {
      sink.wait_done(std::chrono::milliseconds(500));  // returns at once when the module ends
      sink.stats(false);
    }
    module.join();
  }
  sink.stats(true);
  return report_exit(sink.exit());
}
