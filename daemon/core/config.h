#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/manifest.h"

namespace zinnia::daemon {

enum class LogLevel : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

using Env = std::map<std::string, std::string>;
// The process environment as a map.
Env process_env();

struct Config {
  std::string wallet_address;
  std::string station_id;
  bool station_id_defaulted = false;  // STATION_ID unset: 88 zeros (and a warning)
  std::filesystem::path state_root;
  std::filesystem::path cache_root;
  std::filesystem::path spin_root;
  std::optional<std::filesystem::path> manifest_path;
  std::string manifest_display;      // the manifest path as the user wrote it (for messages)
  std::vector<std::string> modules;  // positional MODULE arguments as given
  std::filesystem::path cwd;         // where positional paths resolve from
  std::string app_override;          // --app / ZINNIA_APP
  std::filesystem::path mount;       // --mount / ZINNIA_MOUNT / default
  bool no_mount = false;
  bool no_color = false;
  LogLevel log_level = LogLevel::kInfo;
  // Test and tuning knobs (env): ZINNIA_HANG_TIMEOUT_MS, ZINNIA_HEAP_LIMIT_MB, ZINNIA_BACKOFF_MS.
  std::chrono::milliseconds hang_timeout{30'000};
  std::size_t heap_limit_bytes = std::size_t{256} << 20;
  // ZINNIA_EXTERNAL_LIMIT_MB (default: the heap limit): ArrayBuffers and WebAssembly memory.
  std::size_t external_limit_bytes = std::size_t{256} << 20;
  // ZINNIA_READ_LIMIT_MB: the largest file zinnia:fs readFile() reads.
  std::size_t read_limit_bytes = std::size_t{64} << 20;
  std::uint64_t rotate_bytes = std::uint64_t{64} << 20;  // ZINNIA_ROTATE_MB: persisted log rotation
  std::chrono::milliseconds backoff_initial{1'000};
  // ZINNIA_STARTUP_TIMEOUT_MS: the longest one start-up step may take (issue 19 #10).
  std::chrono::milliseconds startup_timeout{30'000};

  Manifest manifest;  // effective: the loaded one plus positional modules, or synthesised
  std::vector<std::string> warnings;  // to log once the logger is up
};

// Parses zinniad's arguments (without argv[0]) and environment; loads the manifest.
// Throws ConfigError with one line naming the variable, flag, file (and line:col) at fault.
Config parse_config(const std::vector<std::string>& args, const Env& env,
                    const std::filesystem::path& cwd);

// Re-reads the manifest and positional modules of `config` (for SIGHUP).
Manifest effective_manifest(const Config& config);

// "error" / "warn" / "info" / "debug".
std::optional<LogLevel> parse_log_level(const std::string& text);

}  // namespace zinnia::daemon
