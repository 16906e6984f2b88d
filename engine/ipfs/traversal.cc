#include "engine/ipfs/traversal.h"

#include <algorithm>
#include <cstdio>

#include "engine/ipfs/dag_cbor.h"
#include "engine/ipfs/dag_json.h"
#include "engine/ipfs/dag_pb.h"
#include "engine/ipfs/hamt.h"

namespace zinnia::ipfs {

const char* scope_name(Scope s) {
  switch (s) {
    case Scope::kAll:
      return "all";
    case Scope::kEntity:
      return "entity";
    case Scope::kBlock:
      return "block";
  }
  return "all";
}

std::string ByteRange::to_string() const {
  return std::to_string(from) + ":" + (to ? std::to_string(*to) : std::string("*"));
}

Traversal::Traversal(Cid root, Selector selector) : selector_(std::move(selector)) {
  Pending p{std::move(root), selector_.path.empty() ? Mode::kTerminal : Mode::kPath};
  stack_.push_back(std::move(p));
}

namespace {

std::vector<Cid> links_of(const Cid& cid, ByteView data) {
  switch (cid.codec) {
    case codec::kDagPb: {
      std::vector<Cid> out;
      for (auto& l : decode_dag_pb(data).links) out.push_back(l.hash);
      return out;
    }
    case codec::kDagCbor:
      return dag_cbor_links(data);
    case codec::kDagJson:
      return dag_json_links(data);
    default:
      return {};  // raw and codecs we cannot read are leaves
  }
}

std::optional<UnixFsData> unixfs_of(const PbNode& node) {
  if (!node.data) return std::nullopt;
  try {
    return decode_unixfs(*node.data);
  } catch (const Error&) {
    return std::nullopt;  // dag-pb that is not UnixFS: a plain node
  }
}

}  // namespace

void Traversal::push_links(const std::vector<Cid>& links, Mode mode) {
  for (auto it = links.rbegin(); it != links.rend(); ++it) stack_.push_back(Pending{*it, mode});
}

void Traversal::process(const Pending& p, ByteView data) {
  const Cid& cid = p.cid;
  Mode mode = p.mode;
  if (mode == Mode::kTerminal) {
    switch (selector_.scope) {
      case Scope::kBlock:
        return;
      case Scope::kAll:
        mode = Mode::kAll;
        break;
      case Scope::kEntity:
        mode = Mode::kFile;  // refined below by what the node is
        break;
    }
  }
  if (mode == Mode::kAll) {
    push_links(links_of(cid, data), Mode::kAll);
    return;
  }
  if (cid.codec != codec::kDagPb) {
    if (mode == Mode::kPath)
      throw Error("cannot resolve path segment \"" + selector_.path[p.path_index] + "\" in " +
                  cid.to_string() + ": it is " + codec_name(cid.codec) + ", not UnixFS");
    return;  // an entity that is not UnixFS is its block alone
  }
  PbNode node = decode_dag_pb(data);
  std::optional<UnixFsData> fs = unixfs_of(node);
  if (mode == Mode::kPath) {
    const std::string& segment = selector_.path[p.path_index];
    const bool last = p.path_index + 1 == selector_.path.size();
    if (fs && fs->type == UnixFsData::kHamtShard) {
      // The segment's bucket at this level: an entry "<label><name>", or a sub-shard "<label>"
      // one level down.
      auto where = [&] {
        return "cannot resolve path segment \"" + segment + "\" in HAMT shard " + cid.to_string() +
               ": ";
      };
      if (fs->hash_type && *fs->hash_type != kMurmur3X64_64)
        throw Error(where() + "hash function 0x" + [&] {
          char buf[24];
          std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(*fs->hash_type));
          return std::string(buf);
        }() + " is not murmur3-x64-64");
      if (!fs->fanout) throw Error(where() + "the shard has no fanout");
      std::string label;
      try {
        label = hamt_label(segment, *fs->fanout, p.shard_depth);
      } catch (const Error& e) {
        throw Error(where() + e.what());
      }
      for (auto& link : node.links) {
        if (!link.name || !link.name->starts_with(label)) continue;
        if (link.name->size() == label.size()) {
          Pending next{link.hash, Mode::kPath, p.path_index, p.shard_depth + 1};
          stack_.push_back(std::move(next));
          return;
        }
        if (std::string_view(*link.name).substr(label.size()) == segment) {
          Pending next{link.hash, last ? Mode::kTerminal : Mode::kPath, p.path_index + 1};
          stack_.push_back(std::move(next));
          return;
        }
      }
      throw Error("path segment \"" + segment + "\" not found in " + cid.to_string() +
                  " (HAMT shard, bucket " + label + ")");
    }
    for (auto& link : node.links) {
      if (link.name && *link.name == segment) {
        Pending next{link.hash, last ? Mode::kTerminal : Mode::kPath, p.path_index + 1};
        stack_.push_back(std::move(next));
        return;
      }
    }
    throw Error("path segment \"" + segment + "\" not found in " + cid.to_string());
  }
  if (!fs) return;
  if (fs->type == UnixFsData::kHamtShard) {
    // The directory's own structure: links named by their bucket prefix alone are sub-shards.
    std::size_t prefix = 2;
    if (fs->fanout && *fs->fanout > 1) {
      prefix = 0;
      for (std::uint64_t n = *fs->fanout - 1; n; n >>= 4) ++prefix;
    }
    std::vector<Cid> shards;
    for (auto& link : node.links)
      if (link.name && link.name->size() == prefix) shards.push_back(link.hash);
    push_links(shards, Mode::kShard);
    return;
  }
  if (mode == Mode::kShard || (fs->type != UnixFsData::kFile && fs->type != UnixFsData::kRaw))
    return;  // directories, symlinks: the node itself
  bool ranged = (p.mode == Mode::kTerminal && selector_.bytes) || mode == Mode::kBytes;
  if (!ranged) {
    std::vector<Cid> children;
    for (auto& link : node.links) children.push_back(link.hash);
    push_links(children, Mode::kFile);
    return;
  }
  if (fs->blocksizes.size() != node.links.size())
    throw Error("UnixFS file " + cid.to_string() + " has " + std::to_string(node.links.size()) +
                " links but " + std::to_string(fs->blocksizes.size()) + " blocksizes");
  std::uint64_t from, to;
  if (p.mode == Mode::kTerminal) {
    std::uint64_t size = fs->data.size();
    for (auto b : fs->blocksizes) size += b;
    if (fs->filesize) size = *fs->filesize;
    if (size == 0) return;
    const ByteRange& r = *selector_.bytes;
    std::int64_t s = static_cast<std::int64_t>(size);
    std::int64_t f = r.from < 0 ? std::max<std::int64_t>(0, s + r.from) : r.from;
    std::int64_t t = !r.to ? s - 1 : (*r.to < 0 ? s + *r.to : std::min(*r.to, s - 1));
    if (f > t || f >= s || t < 0) return;
    from = static_cast<std::uint64_t>(f);
    to = static_cast<std::uint64_t>(t);
  } else {
    from = p.from;
    to = p.to;
  }
  std::vector<Pending> picked;
  std::uint64_t offset = fs->data.size();
  for (std::size_t i = 0; i < node.links.size(); ++i) {
    std::uint64_t size = fs->blocksizes[i];
    if (size > 0 && offset <= to && offset + size - 1 >= from) {
      Pending c{node.links[i].hash, Mode::kBytes};
      c.from = std::max(from, offset) - offset;
      c.to = std::min(to, offset + size - 1) - offset;
      picked.push_back(std::move(c));
    }
    offset += size;
    if (offset > to) break;
  }
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) stack_.push_back(std::move(*it));
}

void Traversal::drop_satisfied() {
  // Identity CIDs carry their block; a block already accepted may be left out (dups=n).
  while (!stack_.empty()) {
    Pending& top = stack_.back();
    if (top.cid.hash == multihash::kIdentity) {
      Pending p = std::move(top);
      stack_.pop_back();
      process(p, p.cid.digest);
      continue;
    }
    if (seen_.count(top.cid.key())) {
      stack_.pop_back();
      continue;
    }
    break;
  }
}

bool Traversal::accept(const Cid& cid, ByteView data) {
  cid.verify(data);
  for (;;) {
    if (stack_.empty())
      throw Error("unexpected block " + cid.to_string() + " after the end of the DAG");
    Pending& top = stack_.back();
    if (top.cid.hash == multihash::kIdentity) {
      Pending p = std::move(top);
      stack_.pop_back();
      process(p, p.cid.digest);
      continue;
    }
    if (top.cid.same_content(cid)) {
      Pending p = std::move(top);
      stack_.pop_back();
      bool fresh = seen_.insert(cid.key()).second;
      try {
        process(p, data);
      } catch (const Error& e) {
        throw Error("block " + cid.to_string() + " (" + codec_name(cid.codec) + "): " + e.what());
      }
      return fresh;
    }
    if (seen_.count(top.cid.key())) {
      stack_.pop_back();  // a repeat the provider left out
      continue;
    }
    throw Error("unexpected block " + cid.to_string() + ", expected " + top.cid.to_string());
  }
}

std::vector<Cid> Traversal::upcoming(std::size_t n) {
  drop_satisfied();
  std::vector<Cid> out;
  std::unordered_set<std::string> keys;
  for (auto it = stack_.rbegin(); it != stack_.rend() && out.size() < n; ++it) {
    if (it->cid.hash == multihash::kIdentity) continue;
    std::string k = it->cid.key();
    if (seen_.count(k)) continue;
    if (keys.insert(std::move(k)).second) out.push_back(it->cid);
  }
  return out;
}

bool Traversal::complete() {
  drop_satisfied();
  return stack_.empty();
}

void Traversal::finish() {
  if (!complete())
    throw Error("incomplete DAG: block " + stack_.back().cid.to_string() + " is missing");
}

}  // namespace zinnia::ipfs
