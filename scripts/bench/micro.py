"""micro: Google Benchmark micro-benchmarks of the per-line hot paths (scripts/bench/micro_bench.cc):
a log append into the tree, the console formatting, the stderr record, an event-line write."""
import json
import subprocess

from benchlib import emit, need, record


def main(quick, write):
    exe = need("zinnia_microbench")
    cmd = [exe, "--benchmark_format=json", "--benchmark_min_time=" + ("0.01" if quick else "0.5")]
    if not quick:
        cmd.append("--benchmark_repetitions=3")
        cmd.append("--benchmark_report_aggregates_only=true")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         check=True, timeout=600).stdout
    rows = []
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") not in (None, "median"):
            continue
        name = b.get("run_name", b["name"])
        ns = b["real_time"] if b.get("time_unit") == "ns" else b["real_time"] * {"us": 1e3, "ms": 1e6}[b["time_unit"]]
        rate = 1e9 / ns if ns else 0  # wall clock, like the other benchmarks
        emit(f"micro {name} ns_per_item {ns:.1f} items_per_s {rate:.0f}")
        rows.append([f"`{name}`", f"{ns:,.1f}", f"{rate:,.0f}"])
    if write:
        record("micro", "scripts/bench/run micro (zinnia_microbench --benchmark_repetitions=3 --benchmark_min_time=0.5)",
               rows, ["benchmark", "ns per item (median)", "items/s"],
               "BM_LogAppend/N: one 66-byte line into a tree log with persistence, flushed every N lines. "
               "BM_FormatConsole*: format_console() alone. BM_StderrRecord: one zinniad stderr record. "
               "BM_StderrLog: a module line formatted into a batch (64 lines per batch, as a turn) and written by the stderr writer thread to /dev/null. "
               "BM_EventLine: an activity event built and written by EventWriter to /dev/null.")
