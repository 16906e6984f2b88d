#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zinnia::daemon {

// Per-module job totals: {"spark": 100, "retrieval-checker": 23}.
using JobTotals = std::map<std::string, std::uint64_t>;

// Station event lines (SPEC "stdout: events for the Station"), each ending in '\n'.
std::string event_started();
// `module` empty: the runtime itself ("module":null).
std::string event_activity(bool error, const std::optional<std::string>& module,
                           std::string_view message);
std::string event_jobs_completed(const JobTotals& totals);

std::uint64_t sum(const JobTotals& totals);

}  // namespace zinnia::daemon
