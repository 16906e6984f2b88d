#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zinnia::daemon {

enum class ComponentState { kRunning, kRestarting, kExited, kCrashed };
const char* state_name(ComponentState state);

struct ComponentStatus {
  std::string name;
  ComponentState state = ComponentState::kRunning;
  std::uint64_t restarts = 0;
  std::string last_error;  // empty: none
  std::uint64_t jobs_completed = 0;
  std::size_t heap_used = 0;
  std::size_t heap_limit = 0;
  std::chrono::milliseconds uptime{0};  // of the current run; 0 when not running
  std::chrono::system_clock::time_point started_at{};
};

// The process's libp2p node, for status.json (absent until a module started). The node is
// made on a module's first use of it: before that, state "not started" and peer_id null.
struct Libp2pStatus {
  std::string state = "running";  // or "not started"
  std::string peer_id;
  std::vector<std::string> listen_addrs;
  std::uint64_t connections = 0;
  std::uint64_t streams = 0;
  std::uint64_t requests_in_flight = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t requests_failed = 0;
};

// monitor/status.json.
std::string status_json(const std::string& app, const std::vector<ComponentStatus>& components,
                        std::chrono::system_clock::time_point now,
                        const Libp2pStatus* libp2p = nullptr);

// "2025-01-23T22:55:24.123Z"
std::string iso_utc_ms(std::chrono::system_clock::time_point when);

}  // namespace zinnia::daemon
