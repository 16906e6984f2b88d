// A bad edge: the api layer reaching up into runtime.
#include "engine/runtime/module.h"
