#include "daemon/core/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/error.h"
#include "util/fd_reserve.h"
#include "util/unique_fd.h"

namespace zinnia::daemon {
namespace fs = std::filesystem;

StateFile::StateFile(fs::path state_root)
    : dir_(std::move(state_root)), path_(dir_ / "state.json") {}

namespace {

// A count in state.json: a whole number from 0 up. nlohmann would wrap -1 to 2^64 - 1.
std::uint64_t count_at(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number_unsigned())
    throw std::runtime_error(key + " is " + v.dump() + ", not a whole number of jobs (0 or more)");
  return v.get<std::uint64_t>();
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

JobTotals StateFile::load(std::string* warning) {
  JobTotals totals;
  std::string text;
  try {
    // Non-blocking: a FIFO planted as state.json must not hold the start (issue 19 #10);
    // only a bounded regular file is read. Never through a link (issue 19 #11): a link
    // planted as state.json could make us read, and at the next save move, someone else's file.
    UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) return totals;
      if (errno == ELOOP) throw std::runtime_error("it is a symbolic link");
      throw std::runtime_error(errno_message("cannot open it", "", errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      throw std::runtime_error(errno_message("cannot stat it", "", errno));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(std::string("it is ") + kind_of(st.st_mode));
    if (st.st_size > static_cast<off_t>(kMaxBytes))
      throw std::runtime_error("it is larger than " + std::to_string(kMaxBytes >> 20) + " MiB");
    text.resize(kMaxBytes + 1);
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(errno_message("cannot read it", "", errno));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got > kMaxBytes)
      throw std::runtime_error("it is larger than " + std::to_string(kMaxBytes >> 20) + " MiB");
    text.resize(got);
    auto j = nlohmann::json::parse(text);
    if (!j.contains("modules") && j.contains("total_jobs_completed")) {
      // The real zinniad's file: one count for its one module, attributed at start-up.
      totals[std::string(kLegacyTotal)] =
          count_at(j.at("total_jobs_completed"), "total_jobs_completed");
      return totals;
    }
    for (const auto& [name, n] : j.at("modules").items())
      totals[name] = count_at(n, "modules." + name);
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
  // A fresh file: whatever was planted as state.json.tmp (a FIFO, a link) is replaced.
  ::unlink(tmp.c_str());
  // Through the reserve: a module's sockets may hold every other fd (issue 19 #5).
  ReservedFd fd(open_reserved([&] {
    return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
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
  ReservedFd dir(
      open_reserved([&] { return ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (dir) ::fsync(dir.get());
}

}  // namespace zinnia::daemon
