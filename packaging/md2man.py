#!/usr/bin/env python3
"""Writes zinniad.1 and zinnia.1 (roff, man(7)) from docs/daemon.md, the manual.

    md2man.py [--version V] docs/daemon.md OUTDIR

docs/daemon.md is laid out as a man page: '## NAME', '## SYNOPSIS', '## zinniad' (its
'###' sections become the page's sections), '## zinnia run FILE'. zinniad.1 gets NAME,
SYNOPSIS and the zinniad part; zinnia.1 gets NAME, SYNOPSIS and the zinnia part. Only the
Markdown the manual uses is understood: headings, paragraphs, '-' lists, '|' tables, fenced
code, `code`, **bold**, [links](x). Anything else is an error naming the line, so the manual
cannot silently lose text in the man page.
"""
import argparse
import datetime
import os
import re
import sys


def fail(path, lineno, msg):
    sys.exit(f"md2man: {path}:{lineno}: {msg}")


def esc(text):
    """Escapes roff's specials in running text."""
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-")
    return text


def inline(text):
    """Markdown inline markup to roff fonts."""
    out = []
    pos = 0
    pattern = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)")
    for m in pattern.finditer(text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + esc(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + esc(m.group(2)) + "\\fR")
        else:
            label, target = m.group(3), m.group(4)
            out.append(esc(label))
            if not target.startswith("#") and label.strip("`") != target:
                out.append(" (" + esc(target) + ")")
        pos = m.end()
    out.append(esc(text[pos:]))
    line = "".join(out)
    # A line starting with . or ' would be a roff request.
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def split_row(line):
    cells = line.strip().strip("|").split("|")
    # A '\|' inside a cell is a literal bar.
    merged = []
    for c in cells:
        if merged and merged[-1].endswith("\\"):
            merged[-1] = merged[-1][:-1] + "|" + c
        else:
            merged.append(c)
    return [c.strip() for c in merged]


def render(lines, path, first_lineno):
    """Markdown lines (a part of the manual) to roff lines."""
    out = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        lineno = first_lineno + i
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("```"):
            j = i + 1
            while j < n and not lines[j].strip().startswith("```"):
                j += 1
            if j == n:
                fail(path, lineno, "unclosed code block")
            indent = len(line) - len(line.lstrip())
            out += [".PP", ".RS 4", ".nf"]
            for code in lines[i + 1:j]:
                code = code[indent:] if code[:indent].strip() == "" else code.lstrip()
                code = code.replace("\\", "\\e")
                out.append(("\\&" + code) if code.startswith((".", "'")) else code)
            out += [".fi", ".RE"]
            i = j + 1
            continue
        if stripped.startswith("###"):
            out.append(".SS " + inline(stripped.lstrip("#").strip()))
            i += 1
            continue
        if stripped.startswith("#"):
            fail(path, lineno, f"unexpected heading inside a section: {stripped}")
        if stripped.startswith("|"):
            rows = []
            while i < n and lines[i].strip().startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            if len(rows) < 2 or not all(re.fullmatch(r":?-+:?", c) for c in rows[1]):
                fail(path, lineno, "a table needs a header row and a --- row")
            header, body = rows[0], rows[2:]
            # A two-column table reads best as a tagged list (.TP); a header of names is kept.
            if any(h for h in header):
                out.append(".PP")
                out.append(" \\(em ".join("\\fI" + inline(h) + "\\fR" for h in header))
            for row in body:
                out.append(".TP")
                out.append(inline(row[0]))
                out.append(" \\(em ".join(inline(c) for c in row[1:]) if len(row) > 1 else "")
            continue
        if stripped.startswith("- "):
            base = len(line) - len(line.lstrip())
            while i < n and lines[i].strip():
                item = lines[i]
                if not item.strip().startswith("- "):
                    fail(path, first_lineno + i, "expected a list item")
                text = [item.strip()[2:]]
                i += 1
                # Continuation lines are indented past the dash; a nested code block too.
                while i < n and lines[i].strip() and not lines[i].strip().startswith("- ") \
                        and not lines[i].strip().startswith("```"):
                    text.append(lines[i].strip())
                    i += 1
                out += [".IP \\(bu 2", inline(" ".join(text))]
                if i < n and lines[i].strip().startswith("```"):
                    j = i + 1
                    while j < n and not lines[j].strip().startswith("```"):
                        j += 1
                    sub = render(lines[i:j + 1], path, first_lineno + i)
                    out += [".RS 2"] + sub + [".RE"]
                    i = j + 1
                    while i < n and not lines[i].strip():
                        i += 1
                    if i < n and (len(lines[i]) - len(lines[i].lstrip())) > base:
                        # Text continuing the item after its code block.
                        para = []
                        while i < n and lines[i].strip() and not lines[i].strip().startswith("- "):
                            para.append(lines[i].strip())
                            i += 1
                        out += [".IP \"\" 2", inline(" ".join(para))]
                    continue
            continue
        para = []
        while i < n and lines[i].strip() and not lines[i].strip().startswith(("```", "|", "#", "- ")):
            para.append(lines[i].strip())
            i += 1
        out += [".PP", inline(" ".join(para))]
    return out


def sections(lines):
    """'## title' -> (first line number, body lines)."""
    result = {}
    current = None
    for idx, line in enumerate(lines):
        if line.startswith("## "):
            current = line[3:].strip()
            result[current] = (idx + 2, [])
        elif current is not None:
            result[current][1].append(line)
    return result


def page(name, summary, synopsis, body, version, date):
    head = [
        f'.TH {name.upper()} 1 "{date}" "zinnia {version}" "zinnia manual"',
        ".\\\" Generated from docs/daemon.md by packaging/md2man.py; edit the Markdown.",
        ".SH NAME",
        f"{name} \\- {esc(summary)}",
        ".SH SYNOPSIS",
        ".nf",
    ] + [s.replace("\\", "\\e").replace("-", "\\-") for s in synopsis] + [".fi"]
    return "\n".join(head + body) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="")
    ap.add_argument("markdown")
    ap.add_argument("outdir")
    args = ap.parse_args()
    path = args.markdown
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    secs = sections(lines)
    for needed in ("NAME", "SYNOPSIS", "zinniad", "zinnia run FILE"):
        if needed not in secs:
            fail(path, 1, f"no '## {needed}' section")

    summaries = {}
    for line in secs["NAME"][1]:
        m = re.match(r"`(zinniad?)` — (.*)", line.strip())
        if m:
            summaries[m.group(1)] = m.group(2).rstrip(".")
    if set(summaries) != {"zinniad", "zinnia"}:
        fail(path, secs["NAME"][0], "NAME must give '`zinniad` — ...' and '`zinnia` — ...'")

    syn_lines, in_code = [], False
    for line in secs["SYNOPSIS"][1]:
        if line.strip().startswith("```"):
            in_code = not in_code
        elif in_code and line.strip():
            syn_lines.append(line.rstrip())
    zinniad_syn = [s for s in syn_lines if s.startswith("zinniad")]
    zinnia_syn = [s.split("  ")[-1].strip() if s.startswith("zinniad -h") else s
                  for s in syn_lines if s.startswith("zinnia ") or "zinnia -h" in s]
    zinniad_syn = [s.split("  ")[0].strip() if "zinnia -h" in s else s for s in zinniad_syn]

    date = datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.timezone.utc)
    if "SOURCE_DATE_EPOCH" in os.environ:
        date = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]),
                                               datetime.timezone.utc)
    date = date.strftime("%Y-%m-%d")

    first, body = secs["zinniad"]
    zinniad_body = [".SH DESCRIPTION", inline(summaries["zinniad"][0].upper() + summaries["zinniad"][1:] + ".")]
    for roff in render(body, path, first):
        # '###' sections of the zinniad part are the page's own sections.
        zinniad_body.append(".SH " + roff[4:].upper() if roff.startswith(".SS ") else roff)
    zinniad_body += [".SH SEE ALSO", "\\fBzinnia\\fR(1)"]

    first, body = secs["zinnia run FILE"]
    zinnia_body = [".SH DESCRIPTION"] + render(body, path, first)
    zinnia_body += [".SH SEE ALSO", "\\fBzinniad\\fR(1)"]

    os.makedirs(args.outdir, exist_ok=True)
    for name, syn, body in (("zinniad", zinniad_syn, zinniad_body),
                            ("zinnia", zinnia_syn, zinnia_body)):
        text = page(name, summaries[name], syn, body, args.version, date)
        tmp = os.path.join(args.outdir, name + ".1.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, os.path.join(args.outdir, name + ".1"))


if __name__ == "__main__":
    main()
