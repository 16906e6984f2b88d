// util is the bottom layer.
#include "fusefs/tree/tree.h"
