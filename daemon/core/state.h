#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "daemon/core/events.h"

namespace zinnia::daemon {

// $STATE_ROOT/state.json: the persisted job totals.
class StateFile {
 public:
  // The key load() gives the count of the real zinniad's `{"total_jobs_completed": N}`;
  // the supervisor attributes it to the app's first component.
  static constexpr std::string_view kLegacyTotal = "";

  explicit StateFile(std::filesystem::path state_root);

  // The persisted totals; empty when there is no file yet. A file that cannot be parsed is
  // kept aside as state.json.corrupt and `warning` says so (the counters restart at zero).
  JobTotals load(std::string* warning);
  // Writes atomically: a temporary file, fsync, rename over state.json, fsync the folder;
  // mode 0600. Creates the folder. Throws std::system_error with the path on failure.
  void save(const JobTotals& totals);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace zinnia::daemon
