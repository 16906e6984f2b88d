// The tree must know nothing of V8.
#include <v8.h>
