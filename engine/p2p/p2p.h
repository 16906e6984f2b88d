#pragma once
// The libp2p JS face (docs/libp2p.md): Zinnia.peerId and Zinnia.requestProtocol() over the
// process's one libp2p node (engine/libp2p/node.h).
#include <memory>
#include <optional>

#include "engine/libp2p/node.h"
#include "engine/v8/bind.h"

namespace zinnia::engine {

const bind::Extension& p2p_extension();

// The process's node, made on first use with the listen addresses of ZINNIA_LIBP2P_LISTEN
// (multiaddrs separated by commas or spaces; unset: no listener). Every module shares it.
std::shared_ptr<libp2p::Node> process_libp2p_node();
// Its figures for monitor/status.json, or nullopt while no module has made it.
std::optional<libp2p::NodeStats> process_libp2p_stats();

}  // namespace zinnia::engine
