#include "engine/runtime/extensions.h"

#include "engine/api/host.h"
#include "engine/fs/fs_api.h"
#include "engine/web/web.h"

namespace zinnia::engine {

std::span<const bind::Extension* const> extensions() {
  // Bootstrap JS runs in this order: later files capture globals defined by earlier ones.
  static const bind::Extension* const list[] = {
      &timers_extension(),   &globals_extension(), &console_extension(), &zinnia_extension(),
      &fs_extension(),       &events_extension(),  &url_extension(),     &streams_extension(),
      &encoding_extension(), &crypto_extension(),  &fetch_extension(),
  };
  return list;
}

}  // namespace zinnia::engine
