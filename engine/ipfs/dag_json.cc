#include "engine/ipfs/dag_json.h"

#include <nlohmann/json.hpp>
#include <string>

namespace zinnia::ipfs {
namespace {

void check_depth(std::string_view text) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) throw Error("DAG-JSON nested too deeply");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

void collect(const nlohmann::json& v, std::vector<Cid>& out) {
  if (v.is_object()) {
    if (v.size() == 1 && v.contains("/") && v["/"].is_string()) {
      try {
        out.push_back(Cid::parse(v["/"].get<std::string>()));
      } catch (const Error& e) {
        throw Error(std::string("bad DAG-JSON link: ") + e.what());
      }
      return;
    }
    for (auto& [k, child] : v.items()) collect(child, out);
  } else if (v.is_array()) {
    for (auto& child : v) collect(child, out);
  }
}

}  // namespace

std::vector<Cid> dag_json_links(ByteView block) {
  std::string_view text = as_chars(block);
  check_depth(text);
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) throw Error("DAG-JSON block is not valid JSON");
  std::vector<Cid> out;
  collect(doc, out);
  return out;
}

}  // namespace zinnia::ipfs
