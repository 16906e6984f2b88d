#include "daemon/core/status.h"

#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace zinnia::daemon {

const char* state_name(ComponentState state) {
  switch (state) {
    case ComponentState::kRunning:
      return "running";
    case ComponentState::kRestarting:
      return "restarting";
    case ComponentState::kExited:
      return "exited";
    case ComponentState::kCrashed:
      return "crashed";
  }
  return "unknown";
}

std::string iso_utc_ms(std::chrono::system_clock::time_point when) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
  const std::time_t t = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return buf;
}

std::string status_json(const std::string& app, const std::vector<ComponentStatus>& components,
                        std::chrono::system_clock::time_point now, const Libp2pStatus* libp2p) {
  nlohmann::ordered_json j;
  j["app"] = app;
  j["pid"] = ::getpid();
  j["updated_at"] = iso_utc_ms(now);
  nlohmann::ordered_json comps = nlohmann::ordered_json::object();
  for (const auto& c : components) {
    nlohmann::ordered_json jc;
    jc["state"] = state_name(c.state);
    jc["restarts"] = c.restarts;
    jc["last_error"] = c.last_error.empty() ? nlohmann::ordered_json(nullptr)
                                            : nlohmann::ordered_json(c.last_error);
    jc["jobs_completed"] = c.jobs_completed;
    jc["heap_used"] = c.heap_used;
    jc["heap_limit"] = c.heap_limit;
    jc["uptime_ms"] = c.uptime.count();
    jc["started_at"] = c.state == ComponentState::kRunning
                           ? nlohmann::ordered_json(iso_utc_ms(c.started_at))
                           : nlohmann::ordered_json(nullptr);
    comps[c.name] = std::move(jc);
  }
  j["components"] = std::move(comps);
  if (libp2p) {
    nlohmann::ordered_json p;
    p["state"] = libp2p->state;
    p["peer_id"] = libp2p->peer_id.empty() ? nlohmann::ordered_json(nullptr)
                                           : nlohmann::ordered_json(libp2p->peer_id);
    p["listen_addrs"] = libp2p->listen_addrs;
    p["connections"] = libp2p->connections;
    p["streams"] = libp2p->streams;
    p["requests_in_flight"] = libp2p->requests_in_flight;
    p["requests_total"] = libp2p->requests_total;
    p["requests_failed"] = libp2p->requests_failed;
    j["libp2p"] = std::move(p);
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace zinnia::daemon
