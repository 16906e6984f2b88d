#include "daemon/core/manifest.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "util/error.h"
#include "util/utf8.h"

namespace zinnia::daemon {
namespace fs = std::filesystem;

namespace {

// Keys Spin defines that we accept and ignore; anything else is an error (likely a typo).
const std::set<std::string> kTopV2 = {"spin_manifest_version", "application", "variables",
                                      "trigger", "component"};
const std::set<std::string> kApplication = {"name", "version", "description", "authors", "trigger"};
const std::set<std::string> kTopV1 = {"spin_manifest_version",
                                      "spin_version",
                                      "name",
                                      "version",
                                      "description",
                                      "authors",
                                      "trigger",
                                      "variables",
                                      "component"};
const std::set<std::string> kComponentCommon = {"source",
                                                "files",
                                                "spin_monitoring",
                                                "description",
                                                "environment",
                                                "exclude_files",
                                                "allowed_outbound_hosts",
                                                "allowed_http_hosts",
                                                "key_value_stores",
                                                "sqlite_databases",
                                                "ai_models",
                                                "build",
                                                "variables",
                                                "dependencies",
                                                "tool"};

struct Where {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

[[noreturn]] void fail(const Where& w, const std::string& what) {
  std::ostringstream out;
  out << w.file;
  if (w.line) out << ':' << w.line << ':' << (w.column ? w.column : 1);
  out << ": " << what;
  throw ConfigError(out.str());
}

// A value's position; with `word`, the column of that word on the value's line (a key's
// position is not kept by toml11, but the key sits on the same line).
Where where(const std::string& file, const toml::value& v, const std::string& word = {}) {
  const auto loc = v.location();
  Where w{file, loc.line(), loc.column()};
  if (!word.empty()) {
    const auto& line = loc.line_str();
    // A string value: its quoted form first ("/m" must not match inside ".spin/monitor/").
    if (auto pos = line.find('"' + word + '"'); pos != std::string::npos) {
      w.column = pos + 2;
    } else if (pos = line.find(word); pos != std::string::npos) {
      w.column = pos + 1;
    }
  }
  return w;
}

std::string q(const std::string& s) { return "'" + s + "'"; }

void check_keys(const std::string& file, const toml::value& table,
                const std::set<std::string>& allowed, const std::string& context) {
  for (const auto& [key, value] : table.as_table()) {
    if (!allowed.count(key))
      fail(where(file, value, key), "unknown key " + q(key) + " in " + context);
  }
}

const toml::value* member(const toml::value& table, const std::string& key) {
  const auto& t = table.as_table();
  auto it = t.find(key);
  return it == t.end() ? nullptr : &it->second;
}

std::string string_at(const std::string& file, const toml::value& v, const std::string& key,
                      const std::string& context) {
  if (!v.is_string()) fail(where(file, v, key), q(key) + " in " + context + " must be a string");
  return v.as_string().str;
}

// "/monitor/" -> "/monitor"; empty when not absolute.
std::string normal_destination(const std::string& d) {
  if (d.empty() || d[0] != '/') return {};
  std::string n = fs::path(d).lexically_normal().generic_string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

// What a path names, for errors that say so ("a folder", "a FIFO (named pipe)" ...); empty
// when nothing is there (a dangling symlink included).
std::string what_is(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  if (S_ISREG(st.st_mode)) return "a file";
  if (S_ISDIR(st.st_mode)) return "a folder";
  if (S_ISFIFO(st.st_mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "a device";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "not a file";
}

// True when canonical `p` is `dir` or below it, compared by path components (so /a/bc is
// not inside /a/b).
bool inside_folder(const fs::path& p, const fs::path& dir) {
  auto d = dir.begin(), x = p.begin();
  for (; d != dir.end(); ++d, ++x) {
    if (d->empty()) continue;  // a trailing separator
    if (x == p.end() || *x != *d) return false;
  }
  return true;
}

bool overlaps(const std::string& a, const std::string& b) {
  auto under = [](const std::string& x, const std::string& parent) {
    return x == parent || parent == "/" ||
           (x.size() > parent.size() && x.compare(0, parent.size(), parent) == 0 &&
            x[parent.size()] == '/');
  };
  return under(a, b) || under(b, a);
}

Component read_component(const std::string& file, const fs::path& base, const std::string& id,
                         const toml::value& table, const Where& id_where) {
  const std::string context = "component " + q(id);
  if (!valid_component_id(id))
    fail(id_where,
         "bad component id " + q(id) +
             " (lowercase letters, digits and '-', starting with a letter, at most 64 characters)");
  check_keys(file, table, kComponentCommon, context);
  Component c;
  c.id = id;
  const toml::value* source = member(table, "source");
  if (!source) fail(id_where, context + " has no 'source'");
  c.source = string_at(file, *source, "source", context);
  c.entry = (base / c.source).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(c.entry, ec)) {
    const std::string kind = what_is(c.entry);
    fail(where(file, *source, c.source),
         "source " + q(c.source) + " of " + context +
             (kind.empty() ? " does not exist" : " is " + kind + ", not a JavaScript file") + " (" +
             c.entry.string() + ")");
  }
  if (const toml::value* mon = member(table, "spin_monitoring")) {
    if (!mon->is_boolean())
      fail(where(file, *mon, "spin_monitoring"), "'spin_monitoring' must be true or false");
    c.spin_monitoring = mon->as_boolean();
  }
  if (const toml::value* files = member(table, "files")) {
    if (!files->is_array()) fail(where(file, *files, "files"), "'files' must be an array");
    std::vector<std::pair<std::string, Where>> seen;
    for (const auto& entry : files->as_array()) {
      if (!entry.is_table())
        fail(where(file, entry), "each entry of 'files' in " + context +
                                     " must be { source = ..., destination = ... }");
      check_keys(file, entry, {"source", "destination"}, "'files' of " + context);
      const toml::value* src = member(entry, "source");
      const toml::value* dst = member(entry, "destination");
      if (!src || !dst)
        fail(where(file, entry),
             "an entry of 'files' in " + context + " needs both 'source' and 'destination'");
      FileGrant g;
      g.source = string_at(file, *src, "source", "'files' of " + context);
      g.destination = string_at(file, *dst, "destination", "'files' of " + context);
      const Where dst_where = where(file, *dst, g.destination);
      const std::string norm = normal_destination(g.destination);
      if (norm.empty()) fail(dst_where, "destination " + q(g.destination) + " must be absolute");
      for (const auto& [other, other_where] : seen) {
        if (overlaps(norm, other))
          fail(dst_where, "destination " + q(g.destination) + " overlaps " + q(other) + " (line " +
                              std::to_string(other_where.line) + ") in " + context);
      }
      seen.emplace_back(norm, dst_where);
      g.destination = norm;
      if (g.source.rfind(".spin/", 0) == 0 || g.source == ".spin") {
        g.in_tree = true;
        // The monitor tree holds every component's logs: reading it is opt-in per component.
        if (!c.spin_monitoring)
          fail(where(file, *src, g.source), "component " + q(c.id) + " reads " + q(g.source) +
                                                " from the monitor tree but does not set " +
                                                "spin_monitoring = true");
        std::string rest = g.source.size() > 6 ? g.source.substr(6) : "";
        while (!rest.empty() && rest.back() == '/') rest.pop_back();
        const std::string top = rest.substr(0, rest.find('/'));
        if (!rest.empty() && top != "monitor" && top != "config")
          fail(where(file, *src, g.source), "source " + q(g.source) +
                                                " names no place in the monitor tree " +
                                                "(.spin/, .spin/monitor/, .spin/config/)");
        if (rest.find("..") != std::string::npos)
          fail(where(file, *src, g.source), "source " + q(g.source) + " must not use '..'");
        g.tree_path = rest;
      } else {
        g.host_path = (base / g.source).lexically_normal();
        const Where src_where = where(file, *src, g.source);
        const std::string kind = what_is(g.host_path);
        if (kind.empty())
          fail(src_where, "source " + q(g.source) + " of " + context + " does not exist (" +
                              g.host_path.string() + ")");
        // A grant may expose only what sits beside the manifest: `..`, an absolute path or a
        // symlink leading out would hand the guest any folder of the host (issue 19 #13).
        std::error_code ec_real, ec_base;
        const fs::path real = fs::canonical(g.host_path, ec_real);
        const fs::path real_base = fs::canonical(base, ec_base);
        if (ec_real || ec_base || !inside_folder(real, real_base))
          fail(src_where, "source " + q(g.source) + " of " + context + " leads outside the " +
                              "manifest's folder (" + real.string() + " is not inside " +
                              real_base.string() + "); grant a folder inside it");
        if (kind != "a folder") {
          std::string why = "source " + q(g.source) + " of " + context + " is ";
          why += kind;
          why += "; a 'files' source must be a folder (" + g.host_path.string() + ")";
          fail(src_where, why);
        }
        g.host_path = real;
      }
      c.files.push_back(std::move(g));
    }
  }
  return c;
}

// toml11 puts the position in a multi-line message; keep one line with file:line:col.
[[noreturn]] void fail_syntax(const std::string& file, const toml::exception& e) {
  const std::string what = e.what();
  std::istringstream in(what);
  std::string first, line, last_number_line, caret_note;
  std::getline(in, first);
  std::size_t lineno = e.location().line(), col = e.location().column();
  while (std::getline(in, line)) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const std::string gutter = line.substr(0, bar);
    const auto digits = gutter.find_first_not_of(' ');
    if (digits != std::string::npos) {
      // " 2 | b = ": the source line and its number.
      const std::string num = gutter.substr(digits, gutter.find(' ', digits) - digits);
      if (num.find_first_not_of("0123456789") == std::string::npos) last_number_line = num;
      continue;
    }
    // "   |     ^--- expected value": the caret's offset past "| " is the column.
    const auto caret = line.find('^', bar);
    if (caret == std::string::npos || last_number_line.empty()) continue;
    col = caret - (bar + 2) + 1;
    lineno = std::stoul(last_number_line);
    const auto note = line.find("--- ", caret);
    caret_note = note == std::string::npos ? "" : line.substr(note + 4);
  }
  std::string message = first;
  if (message.rfind("[error] ", 0) == 0) message.erase(0, 8);
  if (message.rfind("toml::", 0) == 0) {
    if (auto colon = message.find(": "); colon != std::string::npos) message.erase(0, colon + 2);
  }
  if (!caret_note.empty()) message += " (" + caret_note + ")";
  fail(Where{file, lineno, col}, "TOML syntax error: " + message);
}

}  // namespace

const Component* Manifest::find(const std::string& id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

bool valid_component_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  char prev = 0;
  for (char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
    if (!ok || (ch == '-' && prev == '-')) return false;
    prev = ch;
  }
  return id.back() != '-';
}

bool valid_component_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
  });
}

std::string component_name_from_path(const fs::path& path) {
  const fs::path p = path.lexically_normal();
  std::string stem = p.stem().string();
  if (stem == "main" || stem == "index") {
    fs::path parent = p.parent_path();
    if (parent.empty() || parent == ".") parent = fs::absolute(p).parent_path();
    std::string folder = parent.filename().string();
    if (!folder.empty() && folder != "/" && folder != "..") return folder;
  }
  return stem;
}

namespace {

// toml11 parses nested arrays and inline tables recursively: a deep enough nesting overflows
// the stack (a crash, not an error). Real manifests are small and shallow, so anything over
// these bounds is refused before parsing.
constexpr std::uintmax_t kMaxManifestBytes = std::uintmax_t{1} << 20;
constexpr int kMaxNesting = 64;

// Counts [ and { outside strings and comments; throws at the first one nested too deep.
void check_nesting(const std::string& text, const std::string& file) {
  int depth = 0;
  std::size_t line = 1, col = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      col = 0;
      continue;
    }
    ++col;
    if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = text.compare(i, 3, std::string(3, c)) == 0;
      i += multi ? 3 : 1;
      for (; i < text.size(); ++i) {
        if (text[i] == '\n') {
          if (!multi) break;
          ++line;
          col = 0;
        }
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c && (!multi || text.compare(i, 3, std::string(3, c)) == 0)) {
          if (multi) i += 2;
          break;
        }
      }
      if (i < text.size() && text[i] == '\n') --i;  // counted by the outer loop
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting)
        throw ConfigError(file + ":" + std::to_string(line) + ":" + std::to_string(col) +
                          ": arrays or tables nested deeper than " + std::to_string(kMaxNesting) +
                          " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

// TOML is UTF-8 by definition, and toml11 (3.7) itself reads out of bounds when a literal
// string ('...' or '''...''') holds bytes that are not: it resets a location over the string's
// copy to an iterator into the file (found by fuzz_manifest). So the text is checked first.
void check_utf8(const std::string& text, const std::string& file) {
  const std::size_t at = utf8_invalid_at(text);
  if (at == std::string::npos) return;
  const std::size_t nl = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
  const auto line =
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  const std::size_t col = nl == std::string::npos ? at + 1 : at - nl;  // in bytes, from 1
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X",
                static_cast<unsigned>(static_cast<unsigned char>(text[at])));
  throw ConfigError(file + ":" + std::to_string(line) + ":" + std::to_string(col) +
                    ": not UTF-8 (byte " + byte + "); a TOML file must be UTF-8");
}

}  // namespace

Manifest load_manifest(const fs::path& path, const std::string& display) {
  const std::string file = display.empty() ? path.string() : display;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError(file + ": manifest file does not exist");
  if (fs::is_directory(path, ec)) throw ConfigError(file + ": manifest is a folder, not a file");
  if (const auto size = fs::file_size(path, ec); !ec && size > kMaxManifestBytes)
    throw ConfigError(file + ": manifest is larger than 1 MiB (" + std::to_string(size) +
                      " bytes)");
  // Read once: what is checked here is what toml11 parses.
  std::string text(kMaxManifestBytes + 1, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(file + ": " + errno_message("cannot read", "the manifest", errno));
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad())
      throw ConfigError(file + ": " + errno_message("cannot read", "the manifest", errno));
  }
  if (text.size() > kMaxManifestBytes) throw ConfigError(file + ": manifest is larger than 1 MiB");
  check_utf8(text, file);
  check_nesting(text, file);
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, path.string());
  } catch (const toml::syntax_error& e) {
    fail_syntax(file, e);
  } catch (const toml::exception& e) {
    fail_syntax(file, e);
  } catch (const std::runtime_error& e) {
    throw ConfigError(file + ": " + e.what());
  }
  const fs::path base = fs::absolute(path).parent_path();
  Manifest m;
  m.path = fs::absolute(path).lexically_normal();

  const toml::value* version = member(root, "spin_manifest_version");
  if (!version) version = member(root, "spin_version");
  bool v1 = false;
  if (!version) {
    fail(Where{file, 1, 1}, "missing 'spin_manifest_version' (2, or \"1\")");
  } else if (version->is_integer() && version->as_integer() == 2) {
    v1 = false;
  } else if ((version->is_string() && version->as_string().str == "1") ||
             (version->is_integer() && version->as_integer() == 1)) {
    v1 = true;
  } else {
    fail(where(file, *version, "spin_"), "unsupported 'spin_manifest_version' (2, or \"1\")");
  }

  std::set<std::string> ids;
  auto add = [&](Component c, const Where& w) {
    if (!ids.insert(c.id).second) fail(w, "duplicate component id " + q(c.id));
    m.components.push_back(std::move(c));
  };

  if (!v1) {
    check_keys(file, root, kTopV2, "the manifest");
    const toml::value* app = member(root, "application");
    if (!app || !app->is_table()) fail(Where{file, 1, 1}, "missing [application] table");
    check_keys(file, *app, kApplication, "[application]");
    const toml::value* name = member(*app, "name");
    if (!name) fail(where(file, *app), "[application] has no 'name'");
    m.app = string_at(file, *name, "name", "[application]");
    if (const toml::value* comps = member(root, "component")) {
      if (!comps->is_table())
        fail(where(file, *comps, "component"), "'component' must be [component.<id>] tables");
      // toml11 keeps tables unordered; keep the file's order for humans.
      std::vector<std::pair<std::size_t, std::string>> order;
      for (const auto& [id, table] : comps->as_table())
        order.emplace_back(table.location().line(), id);
      std::sort(order.begin(), order.end());
      for (const auto& [line, id] : order) {
        const toml::value& table = comps->as_table().at(id);
        const Where w = where(file, table, id);
        if (!table.is_table()) fail(w, "component " + q(id) + " must be a table");
        add(read_component(file, base, id, table, w), w);
      }
    }
  } else {
    check_keys(file, root, kTopV1, "the manifest");
    const toml::value* name = member(root, "name");
    if (!name) fail(Where{file, 1, 1}, "missing 'name' (spin_manifest_version \"1\")");
    m.app = string_at(file, *name, "name", "the manifest");
    if (const toml::value* comps = member(root, "component")) {
      if (!comps->is_array())
        fail(where(file, *comps, "component"), "'component' must be [[component]] tables");
      for (const auto& table : comps->as_array()) {
        if (!table.is_table()) fail(where(file, table), "each [[component]] must be a table");
        const toml::value* id = member(table, "id");
        if (!id) fail(where(file, table), "[[component]] has no 'id'");
        const std::string sid = string_at(file, *id, "id", "[[component]]");
        toml::value rest = table;
        rest.as_table().erase("id");
        const Where w = where(file, *id, sid);
        add(read_component(file, base, sid, rest, w), w);
      }
    }
  }
  if (!valid_component_name(m.app) || m.app.find('/') != std::string::npos)
    fail(Where{file, 0, 0}, "bad application name " + q(m.app));
  return m;
}

std::string manifest_json(const Manifest& m) {
  nlohmann::ordered_json j;
  j["spin_manifest_version"] = 2;
  j["application"] = {{"name", m.app}};
  nlohmann::ordered_json comps = nlohmann::ordered_json::object();
  for (const auto& c : m.components) {
    nlohmann::ordered_json jc;
    jc["source"] = c.source;
    jc["spin_monitoring"] = c.spin_monitoring;
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& f : c.files)
      files.push_back({{"source", f.source}, {"destination", f.destination}});
    jc["files"] = std::move(files);
    comps[c.id] = std::move(jc);
  }
  j["component"] = std::move(comps);
  return j.dump(2) + "\n";
}

namespace {
std::string toml_string(const std::string& s) {
  // A JSON string is a valid TOML basic string.
  return nlohmann::json(s).dump();
}
std::string toml_key(const std::string& k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
  return bare ? k : toml_string(k);
}
}  // namespace

std::string manifest_toml(const Manifest& m) {
  std::ostringstream out;
  out << "spin_manifest_version = 2\n\n[application]\nname = " << toml_string(m.app) << "\n";
  for (const auto& c : m.components) {
    out << "\n[component." << toml_key(c.id) << "]\nsource = " << toml_string(c.source) << "\n";
    if (c.spin_monitoring) out << "spin_monitoring = true\n";
    if (!c.files.empty()) {
      out << "files = [";
      for (std::size_t i = 0; i < c.files.size(); ++i) {
        out << (i ? ", " : "") << "{ source = " << toml_string(c.files[i].source)
            << ", destination = " << toml_string(c.files[i].destination) << " }";
      }
      out << "]\n";
    }
  }
  return out.str();
}

}  // namespace zinnia::daemon
