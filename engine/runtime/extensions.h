#pragma once
#include <span>

#include "engine/v8/bind.h"

namespace zinnia::engine {

// Every extension of the engine, in bootstrap order: the one explicit list (extensions.cc).
std::span<const bind::Extension* const> extensions();

}  // namespace zinnia::engine
