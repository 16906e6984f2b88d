"""watch: edit-to-first-output latency of `zinnia run --watch` vs `deno run --watch`.

Each peer watches its own copy of a small module that prints a token; the benchmark rewrites
the file in place with the next token (as an editor saves) and times until that token is on
the watcher's stdout. The peers take turns in blocks of rounds, in the same run."""
import os
import queue
import signal
import subprocess
import threading
import time

from benchlib import deno, emit, fmt_ratio, median, record, scratch, zinnia

SOURCE = "import {{ n }} from './lib.js';\nconsole.log('token {token}', n);\n"


def measure(name, cmd, folder, rounds):
    """Starts one watcher, then saves `rounds` edits; returns the latencies in ms."""
    os.makedirs(folder, exist_ok=True)
    main = os.path.join(folder, "main.js")
    with open(os.path.join(folder, "lib.js"), "w") as f:
        f.write("export const n = 1;\n")
    with open(main, "w") as f:
        f.write(SOURCE.format(token=0))
    proc = subprocess.Popen(cmd + [main], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=folder, text=True, bufsize=1)
    lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            lines.put((time.monotonic(), line))
    threading.Thread(target=pump, daemon=True).start()

    def wait_token(token, timeout=20.0):
        deadline = time.monotonic() + timeout
        needle = f"token {token} "
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{name}: token {token} never printed")
            at, line = lines.get(timeout=left)
            if needle in line:
                return at

    latencies = []
    try:
        wait_token(0)
        for i in range(1, rounds + 1):
            # Let the watcher settle after the last run (both debounce bursts of events).
            time.sleep(0.4)
            start = time.monotonic()
            with open(main, "w") as f:
                f.write(SOURCE.format(token=i))
            latencies.append((wait_token(i) - start) * 1000)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return latencies


def main(quick, write):
    d = scratch("watch")
    peers = {"zinnia": [zinnia(), "run", "--watch"], "deno": [deno(), "run", "--watch"]}
    blocks, per_block = (1, 2) if quick else (4, 8)
    lat = {k: [] for k in peers}
    for b in range(blocks):
        for name, cmd in peers.items():
            lat[name] += measure(name, cmd, os.path.join(d, f"{name}-{b}"), per_block)
    med = {k: median(v) for k, v in lat.items()}
    worst = {k: max(v) for k, v in lat.items()}
    for k in peers:
        emit(f"watch edit_to_output_ms {k} median {med[k]:.1f} max {worst[k]:.1f} (n={len(lat[k])})")
    emit(f"watch ratio zinnia/deno {fmt_ratio(med['zinnia'], med['deno'])}")
    if write:
        record("watch", f"scripts/bench/run watch ({blocks} blocks of {per_block} edits per peer, alternating)",
               [[k, f"{med[k]:.1f}", f"{worst[k]:.1f}", fmt_ratio(med[k], med['deno'])] for k in peers],
               ["runtime", "median edit-to-output (ms)", "max (ms)", "vs deno"])
