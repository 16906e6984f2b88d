#pragma once
// A real zinniad process, for every test that runs the daemon.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace zinnia::testing {

namespace fs = std::filesystem;

// The one daemon harness: a scratch folder with a HOME for zinniad, the environment it runs
// with (the test's own, minus every variable the daemon reads, plus a wallet), where its files
// land (the defaults under that HOME), and how to start it.
struct Daemon {
  TempDir dir;
  Env env;

  // fast_restarts: ZINNIA_BACKOFF_MS=100 instead of the 1 s default.
  explicit Daemon(bool fast_restarts = false) {
    env = current_env();
    for (const char* name :
         {"STATION_ID", "SPIN_ROOT", "STATE_ROOT", "CACHE_ROOT", "ROOT_DIR", "ZINNIA_MOUNT",
          "ZINNIA_MANIFEST", "ZINNIA_APP", "ZINNIA_LOG", "ZINNIA_HANG_TIMEOUT_MS",
          "ZINNIA_HEAP_LIMIT_MB", "ZINNIA_EXTERNAL_LIMIT_MB", "ZINNIA_READ_LIMIT_MB",
          "ZINNIA_BACKOFF_MS", "ZINNIA_ROTATE_MB", "XDG_RUNTIME_DIR", "XDG_STATE_HOME",
          "XDG_CACHE_HOME"})
      env.erase(name);
    env["HOME"] = home().string();
    env["FIL_WALLET_ADDRESS"] = "0x000000000000000000000000000000000000dEaD";
    env["NO_COLOR"] = "1";
    if (fast_restarts) env["ZINNIA_BACKOFF_MS"] = "100";
  }

  fs::path home() const { return dir.path() / "home"; }
  fs::path app_dir() const { return dir.path() / "app"; }
  fs::path mountpoint() const { return dir.path() / "mnt"; }
  // The defaults under HOME: ~/.spin and ~/.local/state/zinniad.
  fs::path spin_root() const { return home() / ".spin"; }
  fs::path state_root() const { return home() / ".local/state/zinniad"; }
  fs::path state() const { return state_root() / "state.json"; }
  fs::path logs(const std::string& app = "zinniad") const { return spin_root() / app / "logs"; }
  fs::path log(const std::string& component, const char* stream = "stdout.txt",
               const std::string& app = "zinniad") const {
    return logs(app) / component / stream;
  }
  // Writes app/<name>.js.
  fs::path module(const std::string& name, std::string_view source) const {
    fs::path p = app_dir() / (name + ".js");
    write_file(p, source);
    return p;
  }
  // zinniad's argv for app/<name>.js modules as NAME=PATH; `mount` false adds --no-mount.
  std::vector<std::string> argv(const std::vector<std::string>& modules, bool mount) const {
    std::vector<std::string> a = {bin("zinniad").string()};
    if (mount)
      a.insert(a.end(), {"--mount", mountpoint().string()});
    else
      a.push_back("--no-mount");
    for (const auto& m : modules) a.push_back(m + "=" + (app_dir() / (m + ".js")).string());
    return a;
  }
  // zinniad with `args`, in the scratch folder.
  std::unique_ptr<Process> start(std::vector<std::string> args) const {
    args.insert(args.begin(), bin("zinniad").string());
    return std::make_unique<Process>(args, env, Process::Options{.cwd = dir.path()});
  }
};

// Every stdout line parsed as JSON (a parse failure fails the test).
inline std::vector<nlohmann::json> events(const std::string& out) {
  std::vector<nlohmann::json> list;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      list.push_back(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "stdout line is not JSON: " << line;
    }
  }
  return list;
}

// "<module>: <message>" of every event of one type ("null: ..." for the daemon's own).
inline std::vector<std::string> messages(const std::vector<nlohmann::json>& list,
                                         const std::string& type) {
  std::vector<std::string> out;
  for (const auto& e : list)
    if (e["type"] == type)
      out.push_back(e["module"].is_null()
                        ? "null: " + e["message"].get<std::string>()
                        : e["module"].get<std::string>() + ": " + e["message"].get<std::string>());
  return out;
}

// True once zinniad printed activity:started.
inline bool wait_started(Process& p, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return p.wait_out("\"activity:started\"", timeout);
}

// A tmpfs of `bytes` mounted at `dir` (root only); unmounted (lazily) on destruction.
class Tmpfs {
 public:
  Tmpfs(const fs::path& dir, std::size_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
    ok_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~Tmpfs() {
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  fs::path dir_;
  bool ok_ = false;
};

// The mountpoint is left unmounted (lazily), whatever happened to the daemon.
struct MountGuard {
  fs::path mnt;
  ~MountGuard() { ::umount2(mnt.c_str(), MNT_DETACH); }
};

}  // namespace zinnia::testing
