"""engine: in-process figures from engine_start (scripts/bench/engine_start.cc): module start
time, RSS per idle module with 1, 10 and 100 modules, and the console.log hot path into a
counting sink. No peer: these explain the startup and modules figures from the inside."""
import re
import subprocess

from benchlib import emit, need, record


def main(quick, write):
    rounds = 3 if quick else 40
    out = subprocess.run([need("engine_start"), str(rounds)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=True, timeout=600).stdout
    rows = []
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        emit(f"engine {line}")
        m = re.match(r"(.*?)\s{2,}(median .*)$", line) or re.match(r"(.*?):\s+(.*)$", line)
        rows.append([m.group(1), m.group(2)] if m else [line, ""])
    if len(rows) < 3:
        raise RuntimeError(f"engine_start printed too little:\n{out}")
    if write:
        record("engine", f"scripts/bench/run engine (engine_start {rounds})", rows,
               ["measure", "value"],
               "In one process: `Module` construction to its first console line (thread, isolate, "
               "context, bootstrap JS with the code cache warm, entry), RSS growth per idle module "
               "(/proc/self/statm), and console.log into a sink that only counts.")
