#pragma once

namespace zinnia::fusefs {

// libfuse's package version, e.g. "3.14.0".
const char* fuse_version();

}  // namespace zinnia::fusefs
