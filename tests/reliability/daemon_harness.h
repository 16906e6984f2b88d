#pragma once
// A real zinniad process for the daemon-level reliability tests.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace zinnia::testing {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void put_file(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}

inline std::size_t count_of(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos;
       at = hay.find(needle, at + needle.size()))
    ++n;
  return n;
}

// A folder with modules, a spin-root, a state root and (optionally) a mountpoint.
struct DaemonDirs {
  TempDir tmp;
  fs::path app_dir() const { return tmp.path() / "app"; }
  fs::path spin_root() const { return tmp.path() / "spin"; }
  fs::path state_root() const { return tmp.path() / "state"; }
  fs::path mountpoint() const { return tmp.path() / "mnt"; }
  fs::path log(const std::string& component, const char* stream = "stdout.txt",
               const std::string& app = "zinniad") const {
    return spin_root() / app / "logs" / component / stream;
  }
  fs::path module(const std::string& name, std::string_view source) const {
    fs::path p = app_dir() / (name + ".js");
    put_file(p, source);
    return p;
  }
  Env env() const {
    Env e = current_env();
    e["FIL_WALLET_ADDRESS"] = "0x000000000000000000000000000000000000dEaD";
    e["STATE_ROOT"] = state_root().string();
    e["HOME"] = tmp.path().string();
    e["NO_COLOR"] = "1";
    e.erase("STATION_ID");
    e.erase("SPIN_ROOT");
    e.erase("ZINNIA_MOUNT");
    e.erase("ZINNIA_MANIFEST");
    e.erase("ZINNIA_APP");
    e.erase("XDG_RUNTIME_DIR");
    return e;
  }
  // zinniad with NAME=PATH modules; `mount` false adds --no-mount.
  std::vector<std::string> argv(const std::vector<std::string>& modules, bool mount) const {
    std::vector<std::string> a = {bin("zinniad").string(), "--spin-root", spin_root().string()};
    if (mount)
      a.insert(a.end(), {"--mount", mountpoint().string()});
    else
      a.push_back("--no-mount");
    for (const auto& m : modules) a.push_back(m + "=" + (app_dir() / (m + ".js")).string());
    return a;
  }
};

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
