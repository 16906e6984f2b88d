#include "daemon/core/events.h"

#include <nlohmann/json.hpp>

namespace zinnia::daemon {

namespace {
std::string line(const nlohmann::ordered_json& j) {
  // Module text may hold invalid UTF-8; never let it break the stream.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}
}  // namespace

std::uint64_t sum(const JobTotals& totals) {
  std::uint64_t total = 0;
  for (const auto& [name, n] : totals) total += n;
  return total;
}

std::string event_started() { return "{\"type\":\"activity:started\",\"module\":null}\n"; }

std::string event_activity(bool error, const std::optional<std::string>& module,
                           std::string_view message) {
  nlohmann::ordered_json j;
  j["type"] = error ? "activity:error" : "activity:info";
  j["module"] = module ? nlohmann::ordered_json(*module) : nlohmann::ordered_json(nullptr);
  j["message"] = std::string(message);
  return line(j);
}

std::string event_jobs_completed(const JobTotals& totals) {
  nlohmann::ordered_json j;
  j["type"] = "jobs-completed";
  j["total"] = sum(totals);
  nlohmann::ordered_json modules = nlohmann::ordered_json::object();
  for (const auto& [name, n] : totals) modules[name] = n;
  j["modules"] = std::move(modules);
  return line(j);
}

}  // namespace zinnia::daemon
