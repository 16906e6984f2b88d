"""console: N console.log lines from one module, output to a file: zinnia run vs deno vs node,
and zinniad with persistence and the mount on (stderr to a file)."""
import os
import shutil
import subprocess
import time

from benchlib import (alternate, deno, emit, fmt_ratio, median, node, record, run, scratch,
                      zinnia, zinniad)


def main(quick, write):
    n = 20_000 if quick else 1_000_000
    d = scratch("console")
    mod_dir = os.path.join(d, "flood")
    os.makedirs(mod_dir, exist_ok=True)
    script = os.path.join(mod_dir, "main.js")
    with open(script, "w") as f:
        f.write(f"for (let i = 0; i < {n}; i++) console.log('line ' + i + ' of the console benchmark');\n")
    out = os.path.join(d, "out.txt")

    def to_file(cmd, env=None):
        with open(out, "wb") as f:
            wall, _ = run(cmd, stdout=f, env=env)
        return wall

    def daemon(_):
        spin = os.path.join(d, "spin")
        shutil.rmtree(spin, ignore_errors=True)
        env = dict(os.environ, FIL_WALLET_ADDRESS="0x000000000000000000000000000000000000dEaD",
                   STATE_ROOT=os.path.join(d, "state"), CACHE_ROOT=os.path.join(d, "cache"))
        cmd = [zinniad(), "--spin-root", spin, "--mount", os.path.join(d, "mnt"), f"flood={script}"]
        start = time.perf_counter()
        with open(out, "wb") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
            proc.wait(timeout=600)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"zinniad exited {proc.returncode}")
        persisted = os.path.join(spin, "zinniad", "logs", "flood", "stdout.txt")
        lines = sum(1 for _ in open(persisted, "rb"))
        if lines != n:
            raise RuntimeError(f"zinniad persisted {lines} lines, expected {n}")
        # Every line must also reach stderr (the Station's log): a fast run that dropped
        # records would not count.
        records = sum(1 for line in open(out, "rb") if b" module:flood] " in line)
        if records != n:
            raise RuntimeError(f"zinniad wrote {records} of {n} records to stderr")
        return wall

    peers = {
        "zinnia": lambda _: to_file([zinnia(), "run", script]),
        "deno": lambda _: to_file([deno(), "run", script]),
        "node": lambda _: to_file([node(), script]),
        "zinniad": daemon,
    }
    rounds = 1 if quick else 5
    res = alternate(peers, rounds, lambda name, fn: fn(name))
    rate = {k: n / median(v) for k, v in res.items()}
    for k in peers:
        emit(f"console lines_per_s {k} {rate[k]:.0f}")
    emit(f"console ratio zinniad/deno {fmt_ratio(rate['zinniad'], rate['deno'])} (goal >= 10x, issue 20)")
    emit(f"console ratio zinnia/deno {fmt_ratio(rate['zinnia'], rate['deno'])}")
    if write:
        record("console throughput", f"scripts/bench/run console ({n} lines, {rounds} rounds)",
               [[k, f"{rate[k]:,.0f}", fmt_ratio(rate[k], rate['deno'])] for k in peers],
               ["runtime", "median lines/s", "vs deno"],
               "zinniad: persistence and the FUSE mount on, console records to stderr (a file).")
