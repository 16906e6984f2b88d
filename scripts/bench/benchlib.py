"""Shared helpers for zinnia's side-by-side benchmarks.

Each benchmark runs zinnia and its peers (Deno from the npm package @deno/linux-x64-glibc,
Node from the machine) in one run, alternating A B A B for several rounds, and reports
medians and ratios. Results are written into docs/benchmarks.md between markers named after
the benchmark, with the command, the date and the machine.
"""
import datetime
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Absolute: some benchmarks run their binaries from scratch folders (watch, ipfs).
BIN = os.path.abspath(os.environ.get("ZINNIA_BIN", os.path.join(ROOT, "build", "bin")))
BENCH_DIR = os.path.join(ROOT, ".bench")  # git-ignored: peers and scratch files
DOC = os.path.join(ROOT, "docs", "benchmarks.md")


def zinnia():
    return need("zinnia")


def zinniad():
    return need("zinniad")


class BenchError(RuntimeError):
    """A benchmark could not run (a missing peer or binary): the run fails, never skips."""


def need(name):
    """A binary of this build (ZINNIA_BIN, default build/bin); fails loudly when missing."""
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise BenchError(f"{path} is missing: build it (cmake --build <dir> --target {name}) "
                         f"and point ZINNIA_BIN at <dir>/bin")
    return path


def deno():
    """The Deno binary pinned in tests/peers/deno (installed from npm by scripts/setup)."""
    proc = subprocess.run([os.path.join(ROOT, "scripts", "deno")], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    exe = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not os.path.exists(exe):
        raise BenchError("cannot install Deno from npm (@deno/linux-x64-glibc):\n" + proc.stdout[-2000:])
    return exe


def node():
    exe = shutil.which("node")
    if not exe:
        raise BenchError("node is not on PATH (the Node peer comes from the machine)")
    return exe


def scratch(name):
    path = os.path.join(BENCH_DIR, "scratch", name)
    os.makedirs(path, exist_ok=True)
    return path


def run(cmd, stdout=subprocess.DEVNULL, env=None, cwd=None):
    """Runs cmd to completion; returns (wall seconds, peak RSS in KiB of the child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}")
    return wall, usage.ru_maxrss


def alternate(peers, rounds, measure):
    """peers: {name: arg}. Calls measure(name, arg) for each peer per round, alternating,
    and returns {name: [results...]}."""
    results = {name: [] for name in peers}
    for _ in range(rounds):
        for name, arg in peers.items():
            results[name].append(measure(name, arg))
    return results


def median(values):
    return statistics.median(values)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{len(os.sched_getaffinity(0))} cores (nproc), {cpu}, {platform.system()} {platform.release()}; "
            f"load average at the end of the run: {load}")


def emit(line):
    print(line, flush=True)


def record(name, command, table_rows, header, notes=""):
    """Replaces this benchmark's section of docs/benchmarks.md."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    lines = [begin, f"### {name}", "",
             f"- command: `{command}`",
             f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- machine: {machine()}", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + " --- |" * len(header))
    for row in table_rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    if notes:
        lines += ["", notes]
    lines.append(end)
    section = "\n".join(lines)
    text = open(DOC).read() if os.path.exists(DOC) else "# Benchmarks\n\nRun with `scripts/bench/run <name>`; `--quick` is the smoke mode CI runs.\n"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        post = rest.split(end, 1)[1]
        text = pre + section + post
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(DOC, "w") as f:
        f.write(text)


def fmt_ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"
