#include "daemon/core/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/unique_fd.h"

namespace zinnia::daemon {
namespace fs = std::filesystem;

StateFile::StateFile(fs::path state_root)
    : dir_(std::move(state_root)), path_(dir_ / "state.json") {}

JobTotals StateFile::load(std::string* warning) {
  JobTotals totals;
  std::ifstream in(path_);
  if (!in) return totals;
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(text.str());
    if (!j.contains("modules") && j.contains("total_jobs_completed")) {
      // The real zinniad's file: one count for its one module, attributed at start-up.
      totals[std::string(kLegacyTotal)] = j.at("total_jobs_completed").get<std::uint64_t>();
      return totals;
    }
    for (const auto& [name, n] : j.at("modules").items()) totals[name] = n.get<std::uint64_t>();
  } catch (const std::exception& e) {
    totals.clear();
    std::error_code ec;
    fs::rename(path_, fs::path(path_.string() + ".corrupt"), ec);
    if (warning)
      *warning = path_.string() + " cannot be read (" + e.what() +
                 "); kept as state.json.corrupt, job totals start at zero";
  }
  return totals;
}

void StateFile::save(const JobTotals& totals) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw_errno("create", dir_.string(), ec.value());
  nlohmann::ordered_json j;
  j["total"] = sum(totals);
  // Read by the real zinniad (serde ignores the rest), so a downgrade keeps the count.
  j["total_jobs_completed"] = sum(totals);
  nlohmann::ordered_json modules = nlohmann::ordered_json::object();
  for (const auto& [name, n] : totals) modules[name] = n;
  j["modules"] = std::move(modules);
  const std::string body = j.dump(2) + "\n";

  const std::string tmp = path_.string() + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw_errno("open", tmp);
  std::size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::write(fd.get(), body.data() + done, body.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path_.c_str()) != 0) throw_errno("rename", tmp);
  UniqueFd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
}

}  // namespace zinnia::daemon
