#pragma once
// A js-libp2p node (tests/peers/libp2p/peer.mjs) under Node, driven by JSON lines: its
// stdin takes commands, its stdout answers. Killed in the destructor.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

extern char** environ;

namespace zinnia::testing {

inline std::filesystem::path js_peer_dir() {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/peers/libp2p";
}
inline bool js_peer_installed() {
  return std::filesystem::exists(js_peer_dir() / "node_modules/libp2p/package.json");
}

class JsPeer {
 public:
  explicit JsPeer(const std::string& muxer = "yamux") {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addchdir_np(&fa, js_peer_dir().c_str());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
      if (std::string(*e).rfind("MUXER=", 0) != 0 && std::string(*e).rfind("LD_PRELOAD=", 0) != 0)
        env.emplace_back(*e);
    env.push_back("MUXER=" + muxer);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    const char* argv[] = {"node", "peer.mjs", nullptr};
    const int rc =
        ::posix_spawnp(&pid_, "node", &fa, nullptr, const_cast<char**>(argv), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
    if (rc != 0) throw std::runtime_error("spawn node peer.mjs failed");
    reader_ = std::thread([this] { read_loop(); });
    hello_ = next(std::chrono::seconds(60));
    if (!hello_.contains("peerId"))
      throw std::runtime_error("js peer did not start: " + hello_.dump());
  }
  ~JsPeer() {
    ::close(in_);
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    if (reader_.joinable()) reader_.join();
    ::close(out_);
  }

  std::string peer_id() const { return hello_["peerId"]; }
  std::string addr() const { return hello_["addrs"][0]; }  // with /p2p/<id>

  // Sends a command and waits for its answer (commands are answered in order only when the
  // caller waits for each; tests do).
  nlohmann::json call(const nlohmann::json& cmd,
                      std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const std::string line = cmd.dump() + "\n";
    if (::write(in_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("write to js peer failed");
    return next(timeout);
  }

 private:
  nlohmann::json next(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !lines_.empty() || eof_; }))
      throw std::runtime_error("js peer did not answer in time");
    if (lines_.empty()) throw std::runtime_error("js peer exited");
    auto j = nlohmann::json::parse(lines_.front());
    lines_.pop_front();
    return j;
  }
  void read_loop() {
    std::string buf;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::lock_guard lock(mu_);
        lines_.push_back(buf.substr(0, nl));
        buf.erase(0, nl + 1);
        cv_.notify_all();
      }
    }
    std::lock_guard lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool eof_ = false;
  nlohmann::json hello_;
};

}  // namespace zinnia::testing
