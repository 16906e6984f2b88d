#include "engine/runtime/extensions.h"

#include "engine/api/host.h"
#include "engine/fs/fs_api.h"
#include "engine/p2p/p2p.h"
#include "engine/web/web.h"

namespace zinnia::engine {

std::span<const bind::Extension* const> extensions() {
  // Bootstrap JS runs in this order: later files capture globals defined by earlier ones.
  static const bind::Extension* const list[] = {
      // p2p before zinnia: it hands Zinnia.peerId and requestProtocol over through internals.
      &timers_extension(),  &globals_extension(),  &console_extension(), &p2p_extension(),
      &zinnia_extension(),  &fs_extension(),       &events_extension(),  &url_extension(),
      &streams_extension(), &encoding_extension(), &file_extension(),    &compression_extension(),
      &crypto_extension(),  &subtle_extension(),   &fetch_extension(),   &messaging_extension(),
  };
  return list;
}

}  // namespace zinnia::engine
