#include "engine/api/web_hook.h"

namespace zinnia::engine {

// No web APIs built in (engine/web/ has no CMakeLists.txt).
void install_web_apis(v8::Local<v8::Context>, v8::Local<v8::Object>) {}

}  // namespace zinnia::engine
