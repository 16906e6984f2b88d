#include "daemon/core/config.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "util/utf8.h"

extern char** environ;  // NOLINT

namespace zinnia::daemon {
namespace fs = std::filesystem;

namespace {

std::string get(const Env& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

fs::path home(const Env& env) {
  std::string h = get(env, "HOME");
  if (h.empty()) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, at start, before any thread
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) h = pw->pw_dir;
  }
  if (h.empty()) throw ConfigError("HOME is not set and the user has no home folder");
  return h;
}

std::uint64_t positive(const Env& env, const char* name, std::uint64_t fallback,
                       std::uint64_t max) {
  const std::string v = get(env, name);
  if (v.empty()) return fallback;
  std::uint64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || out == 0 || out > max)
    throw ConfigError(std::string(name) + ": expected a whole number from 1 to " +
                      std::to_string(max) + ", got '" + v + "'");
  return out;
}

bool is_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

}  // namespace

Env process_env() {
  Env env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::optional<LogLevel> parse_log_level(const std::string& text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

// Bytes that are not UTF-8 shown as \xNN, so the error itself is readable text.
std::string escaped(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b >= 0x80 || b < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

Manifest effective_manifest(const Config& config) {
  Manifest m;
  if (config.manifest_path) {
    m = load_manifest(*config.manifest_path, config.manifest_display);
  }
  std::map<std::string, std::string> origin;
  for (const auto& c : m.components) origin[c.id] = "the manifest";
  for (const std::string& arg : config.modules) {
    // The module path travels as JSON text (manifest.json, events): it must be UTF-8.
    if (!valid_utf8(arg))
      throw ConfigError("MODULE '" + escaped(arg) +
                        "': the path is not valid UTF-8 (rename the file or folder)");
    std::string name, path = arg;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.find('/') > eq) {
      name = arg.substr(0, eq);
      path = arg.substr(eq + 1);
      if (path.empty()) throw ConfigError("MODULE '" + arg + "': no path after '='");
    }
    const fs::path entry = (config.cwd / path).lexically_normal();
    std::error_code ec;
    if (!fs::exists(entry, ec))
      throw ConfigError("MODULE '" + arg + "': file does not exist (" + entry.string() + ")");
    if (!fs::is_regular_file(entry, ec))
      throw ConfigError("MODULE '" + arg + "': not a file (" + entry.string() + ")");
    if (name.empty()) name = component_name_from_path(path);
    if (!valid_component_name(name))
      throw ConfigError(std::string("MODULE '")
                            .append(arg)
                            .append("': bad component name '")
                            .append(name)
                            .append("' (letters, digits, '.', '_' and '-'; use NAME=PATH)"));
    if (auto it = origin.find(name); it != origin.end())
      throw ConfigError(std::string("MODULE '")
                            .append(arg)
                            .append("': duplicate component name '")
                            .append(name)
                            .append("' (also from ")
                            .append(it->second)
                            .append("; use NAME=PATH)"));
    origin[name] = "'" + arg + "'";
    Component c;
    c.id = name;
    c.source = path;
    c.entry = entry;
    m.components.push_back(std::move(c));
  }
  if (!config.app_override.empty()) {
    m.app = config.app_override;
  } else if (m.app.empty()) {
    m.app = "zinniad";
  }
  return m;
}

// A mount over (or above) a folder zinniad writes hides it for the whole run: nothing would
// persist. Symlinks are resolved where they exist, so an alias is caught too.
static void check_mount(const Config& c) {
  std::error_code ec;
  auto real = [&ec](const fs::path& p) {
    fs::path r = fs::weakly_canonical(p, ec);
    return ec ? p : r;
  };
  const fs::path mount = real(c.mount);
  const fs::path logs = real(c.spin_root / c.manifest.app / "logs");
  const fs::path state = real(c.state_root);
  auto within = [](const fs::path& p, const fs::path& dir) {
    return std::mismatch(dir.begin(), dir.end(), p.begin(), p.end()).first == dir.end();
  };
  if (within(logs, mount) || within(mount, logs) || within(state, mount)) {
    throw ConfigError("--mount / ZINNIA_MOUNT: " + c.mount.string() +
                      " would hide what zinniad writes (the logs under " + logs.string() +
                      " and the state in " + state.string() + "); choose another folder");
  }
  if (fs::exists(c.mount, ec) && !fs::is_directory(c.mount, ec)) {
    throw ConfigError("--mount / ZINNIA_MOUNT: " + c.mount.string() + " is not a folder");
  }
}

Config parse_config(const std::vector<std::string>& args, const Env& env, const fs::path& cwd) {
  Config c;
  c.cwd = cwd;
  std::string manifest = get(env, "ZINNIA_MANIFEST");
  std::string app = get(env, "ZINNIA_APP");
  std::string spin_root = get(env, "SPIN_ROOT");
  std::string mount = get(env, "ZINNIA_MOUNT");
  // The real zinniad's flags; each means the same as its variable, and a flag wins.
  std::string wallet_flag, station_flag, state_flag, cache_flag;

  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (flags_done || a.empty() || a[0] != '-' || a == "-") {
      c.modules.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    if (a == "--no-mount") {
      c.no_mount = true;
      continue;
    }
    std::string flag = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      flag = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    std::string* target = nullptr;
    if (flag == "--manifest") target = &manifest;
    if (flag == "--app") target = &app;
    if (flag == "--spin-root") target = &spin_root;
    if (flag == "--mount") target = &mount;
    if (flag == "-w" || flag == "--wallet-address") target = &wallet_flag;
    if (flag == "--station-id") target = &station_flag;
    if (flag == "--state-root") target = &state_flag;
    if (flag == "--cache-root") target = &cache_flag;
    if (!target) throw ConfigError("unknown flag '" + a + "' (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError("flag " + flag + " needs a value");
      value = args[++i];
    }
    if (value.empty()) throw ConfigError("flag " + flag + ": empty value");
    *target = value;
  }

  c.wallet_address = wallet_flag.empty() ? get(env, "FIL_WALLET_ADDRESS") : wallet_flag;
  if (c.wallet_address.empty())
    throw ConfigError("FIL_WALLET_ADDRESS is not set (the wallet address is required)");
  // It reaches modules and log lines: a newline or other control character would forge lines.
  if (std::any_of(c.wallet_address.begin(), c.wallet_address.end(),
                  [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
    throw ConfigError("FIL_WALLET_ADDRESS must be one line without control characters");

  c.station_id = station_flag.empty() ? get(env, "STATION_ID") : station_flag;
  if (c.station_id.empty()) {
    c.station_id = std::string(88, '0');
    c.station_id_defaulted = true;
    c.warnings.push_back("STATION_ID is not set; using 88 zeros");
  } else if (c.station_id.size() != 88 || !is_hex(c.station_id)) {
    throw ConfigError("STATION_ID must be 88 hexadecimal characters (got " +
                      std::to_string(c.station_id.size()) + " characters" +
                      (is_hex(c.station_id) ? "" : ", not all hexadecimal") + ")");
  }

  const std::string root_dir = get(env, "ROOT_DIR");
  auto xdg = [&](const char* var, const char* fallback) {
    const std::string x = get(env, var);
    if (!x.empty() && x[0] == '/') return fs::path(x) / "zinniad";
    return home(env) / fallback / "zinniad";
  };
  if (std::string s = state_flag.empty() ? get(env, "STATE_ROOT") : state_flag; !s.empty()) {
    c.state_root = s;
  } else if (!root_dir.empty()) {
    c.state_root = fs::path(root_dir) / "state";
  } else {
    c.state_root = xdg("XDG_STATE_HOME", ".local/state");
  }
  if (std::string s = cache_flag.empty() ? get(env, "CACHE_ROOT") : cache_flag; !s.empty()) {
    c.cache_root = s;
  } else if (!root_dir.empty()) {
    c.cache_root = fs::path(root_dir) / "cache";
  } else {
    c.cache_root = xdg("XDG_CACHE_HOME", ".cache");
  }
  c.state_root = (cwd / c.state_root).lexically_normal();
  c.cache_root = (cwd / c.cache_root).lexically_normal();

  c.no_color = env.count("NO_COLOR") && !get(env, "NO_COLOR").empty();
  if (std::string l = get(env, "ZINNIA_LOG"); !l.empty()) {
    auto level = parse_log_level(l);
    if (!level)
      throw ConfigError("ZINNIA_LOG: expected error, warn, info or debug, got '" + l + "'");
    c.log_level = *level;
  }
  c.hang_timeout =
      std::chrono::milliseconds(positive(env, "ZINNIA_HANG_TIMEOUT_MS", 30'000, 3'600'000));
  c.heap_limit_bytes = positive(env, "ZINNIA_HEAP_LIMIT_MB", 256, 65'536) << 20;
  // Memory outside the heap (ArrayBuffers, WebAssembly) gets as much again unless set.
  c.external_limit_bytes =
      positive(env, "ZINNIA_EXTERNAL_LIMIT_MB", c.heap_limit_bytes >> 20, 65'536) << 20;
  c.read_limit_bytes = positive(env, "ZINNIA_READ_LIMIT_MB", 64, 65'536) << 20;
  c.rotate_bytes = std::uint64_t{positive(env, "ZINNIA_ROTATE_MB", 64, 1'048'576)} << 20;
  c.backoff_initial = std::chrono::milliseconds(positive(env, "ZINNIA_BACKOFF_MS", 1'000, 60'000));
  c.startup_timeout =
      std::chrono::milliseconds(positive(env, "ZINNIA_STARTUP_TIMEOUT_MS", 30'000, 3'600'000));

  c.spin_root = spin_root.empty() ? home(env) / ".spin" : (cwd / spin_root).lexically_normal();
  if (!manifest.empty()) c.manifest_path = (cwd / manifest).lexically_normal();
  if (!app.empty() && (!valid_component_name(app)))
    throw ConfigError("--app / ZINNIA_APP: bad app name '" + app +
                      "' (letters, digits, '.', '_' and '-')");
  c.app_override = app;
  if (!c.manifest_path && c.modules.empty())
    throw ConfigError("no modules: give MODULE paths or --manifest PATH (see --help)");

  c.manifest_display = manifest;
  c.manifest = effective_manifest(c);

  if (!mount.empty()) {
    c.mount = (cwd / mount).lexically_normal();
  } else if (std::string run = get(env, "XDG_RUNTIME_DIR"); !run.empty() && run[0] == '/') {
    c.mount = fs::path(run) / "zinniad" / c.manifest.app;
  } else {
    c.mount = c.spin_root / c.manifest.app / "monitor";
  }
  check_mount(c);
  return c;
}

}  // namespace zinnia::daemon
