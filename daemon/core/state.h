#pragma once
#include <cstddef>
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
  static constexpr std::string_view kLegacyTotal{};

  // A state.json past this size is not ours (a few hundred bytes per component).
  static constexpr std::size_t kMaxBytes = std::size_t{4} << 20;

  explicit StateFile(std::filesystem::path state_root);

  // The persisted totals; empty when there is no file yet. A file that cannot be parsed,
  // holds a count that is not a whole number from 0 up, is not a regular file (a FIFO, a
  // link to /dev/zero) or is larger than kMaxBytes is kept aside as state.json.corrupt and
  // `warning` says why (the counters restart at zero). Never blocks on a FIFO.
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
