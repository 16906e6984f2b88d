// The floor of `zinnia run` with Debian's libnode: a process that only loads libnode.so.108
// (linked -z now: every symbol bound at load) and asks V8 its version. scripts/bench/run
// startup runs it beside zinnia and Deno (docs/benchmarks.md, "Start-up").
#include <v8.h>

int main() { return v8::V8::GetVersion()[0] == '\0' ? 1 : 0; }
