#include "engine/web/multipart.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace zinnia::engine::web {
namespace {

std::size_t find(std::string_view hay, std::string_view needle, std::size_t from) {
  if (from > hay.size()) return std::string_view::npos;
  auto it = std::search(hay.begin() + static_cast<std::ptrdiff_t>(from), hay.end(),
                        std::boyer_moore_horspool_searcher(needle.begin(), needle.end()));
  return it == hay.end() ? std::string_view::npos : static_cast<std::size_t>(it - hay.begin());
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The HTML Standard's encoding of names and filenames in multipart/form-data, undone.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      std::string code = lower(s.substr(i + 1, 2));
      if (code == "0a" || code == "0d" || code == "22") {
        out += code == "0a" ? '\n' : code == "0d" ? '\r' : '"';
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// The value of `; key="..."` in a Content-Disposition value (case-insensitive key), if there.
std::optional<std::string> param(std::string_view value, std::string_view key) {
  const std::string low = lower(value);
  std::size_t at = 0;
  while ((at = low.find(';', at)) != std::string::npos) {
    std::size_t p = at + 1;
    while (p < low.size() && (low[p] == ' ' || low[p] == '\t')) ++p;
    if (low.compare(p, key.size(), key) == 0 && p + key.size() + 1 < low.size() &&
        low[p + key.size()] == '=' && low[p + key.size() + 1] == '"') {
      const std::size_t start = p + key.size() + 2;
      const std::size_t close = value.find('"', start);
      if (close != std::string_view::npos) return unescape(value.substr(start, close - start));
    }
    at = p;
  }
  return std::nullopt;
}

}  // namespace

std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty()) throw MultipartError("formData: multipart/form-data without a boundary");
  std::vector<MultipartPart> parts;
  const std::string delim = "--" + std::string(boundary);
  const std::string next_delim = "\r\n" + delim;
  std::size_t pos = find(body, delim, 0);
  if (pos == std::string_view::npos)
    throw MultipartError("formData: the body has no multipart boundary");
  pos += delim.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n")
      throw MultipartError("formData: malformed multipart delimiter");
    pos += 2;
    const std::size_t head_end = find(body, "\r\n\r\n", pos);
    if (head_end == std::string_view::npos)
      throw MultipartError("formData: multipart part without a header end");
    const std::string_view head = body.substr(pos, head_end - pos);
    pos = head_end + 4;
    const std::size_t next = find(body, next_delim, pos);
    if (next == std::string_view::npos)
      throw MultipartError("formData: multipart body is not terminated");
    MultipartPart part;
    part.body_offset = pos;
    part.body_size = next - pos;
    pos = next + next_delim.size();
    bool named = false;
    std::size_t line_start = 0;
    while (line_start <= head.size()) {
      std::size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = head.size();
      const std::string_view line = head.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos)
        throw MultipartError("formData: malformed multipart header");
      const std::string key = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (key == "content-disposition") {
        const std::string low = lower(value);
        std::size_t after = 9;  // "form-data"
        if (low.compare(0, 9, "form-data") != 0)
          throw MultipartError("formData: the part is not form-data");
        while (after < low.size() && (low[after] == ' ' || low[after] == '\t')) ++after;
        if (after < low.size() && low[after] != ';')
          throw MultipartError("formData: the part is not form-data");
        if (auto n = param(value, "name")) {
          part.name = std::move(*n);
          named = true;
        }
        if (auto f = param(value, "filename")) part.filename = std::move(*f);
      } else if (key == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!named) throw MultipartError("formData: a multipart part has no name");
    parts.push_back(std::move(part));
  }
}

}  // namespace zinnia::engine::web
