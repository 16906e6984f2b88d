#!/usr/bin/env python3
"""Fails on any #include that reaches against the layer order of README.md ("Layers").

    util < engine, fusefs < daemon
    engine:  sink.h, js/, libp2p, curl < ipfs < v8 < loop < modules < api, web, fs, p2p < runtime
    fusefs:  tree < fuse, guest
    daemon:  core < the rest

engine and fusefs know nothing of each other. Only engine includes V8 headers; only
fusefs/fuse includes libfuse. Usage: check_layers.py [REPO_ROOT]. Prints each bad edge as
file:line: message, exits 1 if there is any.
"""
import pathlib
import re
import sys

# Each layer, and the layers it may include (itself included). First matching prefix wins.
LAYERS = [
    ("util/", set()),
    ("engine/js/", set()),
    # V8-free network libraries: below the glue, beside each other, knowing only util.
    ("engine/libp2p/", set()),
    ("engine/curl/", set()),  # libcurl loaded on first use, and its driver on libuv
    ("engine/ipfs/", {"engine/curl/", "engine/libp2p/"}),  # Bitswap rides the libp2p node
    ("engine/v8/", {"engine/iface", "engine/js/"}),
    ("engine/loop/", {"engine/iface", "engine/js/", "engine/v8/"}),
    ("engine/modules/", {"engine/iface", "engine/js/", "engine/v8/", "engine/loop/"}),
]
_API = {"engine/iface", "engine/js/", "engine/v8/", "engine/loop/", "engine/modules/",
        "engine/api/", "engine/web/", "engine/fs/", "engine/p2p/", "engine/libp2p/",
        "engine/ipfs/", "engine/curl/"}
LAYERS += [
    ("engine/api/", _API),
    ("engine/web/", _API),
    ("engine/fs/", _API),
    ("engine/p2p/", _API),
    ("engine/runtime/", _API | {"engine/runtime/"}),
    ("engine/", {"engine/iface"}),  # engine/*.h: the engine's outward interfaces
    ("fusefs/tree/", set()),
    ("fusefs/fuse/", {"fusefs/tree/"}),
    ("fusefs/guest/", {"fusefs/tree/"}),
    ("daemon/core/", set()),
    ("daemon/", {"daemon/core/", "engine/*", "fusefs/*"}),
]
ORDER = [name for name, _ in LAYERS]


def layer_of(path):
    for name, _ in LAYERS:
        if path.startswith(name):
            if name == "engine/":  # only files right in engine/; a new folder needs a layer
                return "engine/iface" if "/" not in path[len(name):] else None
            return name
    return None


def allowed(src, dst):
    if dst == "util/" or dst == src:
        return True
    key = "engine/" if src == "engine/iface" else src
    rules = dict(LAYERS)[key]
    if dst in rules:
        return True
    return any(r.endswith("*") and dst.startswith(r[:-1]) for r in rules)


SYSTEM = [  # (header pattern, layers that may include it)
    (re.compile(r"^(v8|v8-[\w-]+|libplatform/[\w-]+)\.h$"), ("engine/",)),
    (re.compile(r"^fuse(_lowlevel|_common|_opt)?\.h$"), ("fusefs/fuse/",)),
]

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def check(root):
    bad = []
    for top in ("util", "engine", "fusefs", "daemon"):
        for f in sorted((root / top).rglob("*")):
            if f.suffix not in (".h", ".cc", ".in") or not f.is_file():
                continue
            rel = f.relative_to(root).as_posix()
            src = layer_of(rel)
            if src is None:
                bad.append(f"{rel}: its folder is in no layer: add it to README.md (Layers) and "
                           "scripts/lint/check_layers.py")
                continue
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, inc = m.groups()
                if kind == "<":
                    for pat, where in SYSTEM:
                        if pat.match(inc) and not rel.startswith(where):
                            bad.append(f"{rel}:{n}: <{inc}> belongs to {', '.join(where)} only")
                    continue
                dst = layer_of(inc)
                if dst is None:
                    bad.append(f'{rel}:{n}: "{inc}" is in no layer (tests/ and scripts/ are '
                               "not for the product to include; a new folder needs a layer)")
                elif not allowed(src, dst):
                    bad.append(f'{rel}:{n}: {src} may not include "{inc}" ({dst}): layers '
                               "only reach down (README.md, Layers)")
    return bad


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    bad = check(root)
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} include edge(s) against the layer order")
        return 1
    print("include layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
