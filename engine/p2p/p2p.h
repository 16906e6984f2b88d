#pragma once
// The libp2p JS face (docs/libp2p.md): Zinnia.peerId and Zinnia.requestProtocol() over the
// process's one libp2p node (engine/libp2p/node.h).
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/libp2p/node.h"
#include "engine/v8/bind.h"

namespace zinnia::engine {

const bind::Extension& p2p_extension();

// The process's node, made on first use with the listen addresses of ZINNIA_LIBP2P_LISTEN
// (multiaddrs separated by commas or spaces; unset: no listener). Every module shares it.
std::shared_ptr<libp2p::Node> process_libp2p_node();
// Where the node's log lines go (zinniad: its log at debug level); called on the node's
// thread under a lock, so clearing it (nullptr) before the sink dies is enough. Unset:
// stderr when ZINNIA_LIBP2P_DEBUG is set, else nowhere.
void set_process_libp2p_log(std::function<void(const std::string&)> log);
// Its figures for monitor/status.json, or nullopt while no module has made it.
std::optional<libp2p::NodeStats> process_libp2p_stats();

}  // namespace zinnia::engine
