"""tail: latency from console.log in a module to the bytes being readable on the mount, p50/p99,
with 1 and 100 writers (modules) in one zinniad.

Each writer logs `<epoch ms> <seq>` every INTERVAL ms, with the time taken just before the
console.log call (performance.timeOrigin + performance.now()). A reader polls read() at the
end of a few of the live files on the mount (like `tail -f`, but every POLL_US) and takes,
for each line, its own CLOCK_REALTIME minus the line's time. The reader's poll period is part
of the figure (it adds up to POLL_US). The goal is absolute (p99 under 1 ms, issue 20); the
floor beside it is the same reader following a plain file that a plain process appends to at the
same pace (no zinniad, no FUSE): what this machine's scheduling gives the reader at that moment."""
import os
import shutil
import signal
import subprocess
import sys
import time

from benchlib import emit, record, scratch, zinniad

INTERVAL_MS = 10
POLL_US = 100
WARMUP_S = 0.5


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def follow(fds, seconds):
    """Polls the open files at their end; returns each line's latency (ms) after the warm-up."""
    start_ms = time.time() * 1000 + WARMUP_S * 1000
    end = time.monotonic() + WARMUP_S + seconds
    lat = []
    while time.monotonic() < end:
        for entry in fds:
            chunk = os.read(entry[0], 65536)
            if not chunk:
                continue
            now_ms = time.time() * 1000
            data = entry[1] + chunk
            lines = data.split(b"\n")
            entry[1] = lines.pop()
            for line in lines:
                sent = float(line.split(b" ", 1)[0])
                if sent >= start_ms:
                    lat.append(now_ms - sent)
        time.sleep(POLL_US / 1e6)
    return lat


# The floor's writer: a plain process appending a timed line to a plain file every INTERVAL_MS.
FLOOR_WRITER = r"""
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)
seq = 0
while True:
    os.write(fd, b"%.3f %d\n" % (time.time() * 1000, seq))
    seq += 1
    time.sleep(INTERVAL / 1000)
""".replace("INTERVAL", str(INTERVAL_MS))


def measure_floor(seconds, d):
    path = os.path.join(d, "floor.txt")
    if os.path.exists(path):
        os.remove(path)
    proc = subprocess.Popen([sys.executable, "-c", FLOOR_WRITER, path])
    try:
        while not os.path.exists(path):
            time.sleep(0.01)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.lseek(fd, 0, os.SEEK_END)
            lat = follow([[fd, b""]], seconds)
        finally:
            os.close(fd)
    finally:
        proc.kill()
        proc.wait()
    lat.sort()
    return lat


def measure(writers, seconds, d):
    mod = os.path.join(d, "writer.js")
    with open(mod, "w") as f:
        f.write(f"let seq = 0;\n"
                f"setInterval(() => {{ console.log((performance.timeOrigin + performance.now())"
                f".toFixed(3) + ' ' + seq++); }}, {INTERVAL_MS});\n")
    spin, mnt = os.path.join(d, "spin"), os.path.join(d, "mnt")
    shutil.rmtree(spin, ignore_errors=True)
    os.makedirs(mnt, exist_ok=True)
    env = dict(os.environ, FIL_WALLET_ADDRESS="0x000000000000000000000000000000000000dEaD",
               STATE_ROOT=os.path.join(d, "state"), CACHE_ROOT=os.path.join(d, "cache"))
    names = [f"w{i}" for i in range(writers)]
    cmd = [zinniad(), "--spin-root", spin, "--mount", mnt] + [f"{n}={mod}" for n in names]
    with open(os.path.join(d, "stderr.txt"), "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    # Follow up to 4 files spread over the writers; the others are load.
    followed = sorted({names[0], names[len(names) // 3], names[2 * len(names) // 3], names[-1]})
    fds = []
    try:
        deadline = time.monotonic() + 30
        for n in followed:
            path = os.path.join(mnt, "monitor", "logs", n, "stdout.txt")
            while not os.path.exists(path):
                if proc.poll() is not None:
                    raise RuntimeError(f"zinniad exited {proc.returncode} before {path} appeared")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{path} did not appear on the mount within 30 s")
                time.sleep(0.01)
            fd = os.open(path, os.O_RDONLY)
            os.lseek(fd, 0, os.SEEK_END)
            fds.append([fd, b""])
        lat = follow(fds, seconds)
    finally:
        for entry in fds:
            os.close(entry[0])
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError("zinniad did not stop within 30 s of SIGTERM")
    if proc.returncode != 0:
        raise RuntimeError(f"zinniad exited {proc.returncode}")
    expected = seconds * 1000 / INTERVAL_MS * len(followed)
    if len(lat) < expected * 0.5:
        raise RuntimeError(f"tail: saw {len(lat)} lines, expected about {expected:.0f}")
    lat.sort()
    return lat, len(followed)


def main(quick, write):
    d = scratch("tail")
    seconds = 1.5 if quick else 10
    rows = []
    for writers in (1, 100, "floor"):
        if writers == "floor":
            lat, followed = measure_floor(seconds, d), 1
        else:
            lat, followed = measure(writers, seconds, d)
        p50, p99, mx = percentile(lat, 0.5), percentile(lat, 0.99), lat[-1]
        goal = "" if writers == "floor" else f" (goal p99 < 1 ms: {'met' if p99 < 1 else 'MISSED'})"
        emit(f"tail writers={writers} p50_ms {p50:.3f} p99_ms {p99:.3f} max_ms {mx:.3f} "
             f"samples {len(lat)}{goal}")
        rows.append([writers if writers != "floor" else "floor: plain file, plain writer", followed,
                     len(lat), f"{p50:.3f}", f"{p99:.3f}", f"{mx:.3f}"])
    if write:
        record("tail", f"scripts/bench/run tail ({seconds:g} s per case)", rows,
               ["writers", "files followed", "samples", "p50 (ms)", "p99 (ms)", "max (ms)"],
               f"Each writer module logs its time every {INTERVAL_MS} ms; the reader polls read() "
               f"at the end of the followed live files every {POLL_US} us (part of the figure). "
               f"zinniad with persistence and the mount on, stderr to a file. floor: the same reader "
               f"following a plain file that a plain process appends to at the same pace.")
