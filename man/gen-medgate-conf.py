#!/usr/bin/env python3
"""Write medgate.conf(5) from its mdoc frame and the key reference.

usage: gen-medgate-conf.py FRAME.in CONFIG-REFERENCE.md OUT

The reference is what `medgatectl config-reference` prints from the key
table in src/common/config.c (the same text as docs/configuration.md):
one Markdown table per section. Each becomes a tagged list in the page
where the frame says @KEYS@, so the page lists exactly the keys the code
accepts, with their defaults and allowed values."""
import re
import sys
import textwrap


def roff(text):
    """Markdown cell text as mdoc text: no code marks, escapes, one
    sentence per line (mandoc -Tlint asks for that)."""
    text = text.replace("\\|", "|").replace("`", "").replace("\\", "\\e")
    text = re.sub(r"([.;:]) (?=[A-Z(\"])", r"\1\n", text)
    lines = []
    for sentence in text.split("\n"):
        for line in textwrap.wrap(sentence.strip(), 76, break_on_hyphens=False):
            if line[:1] in (".", "'"):
                line = "\\&" + line
            lines.append(line)
    return "\n".join(lines)


def keys_mdoc(reference):
    out = []
    in_list = False

    def close():
        nonlocal in_list
        if in_list:
            out.append(".El")
            in_list = False

    for line in reference.splitlines():
        if line.startswith("# ") or line.strip() == "":
            continue
        m = re.match(r"## (\[.+\])$", line)
        if m:
            close()
            out.append(".Ss " + m.group(1) + "\\&")
            continue
        if line.startswith("| key |") or line.startswith("| ---"):
            continue
        if line.startswith("| "):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if len(cells) != 4:
                sys.exit(f"unexpected table row: {line}")
            key, default, allowed, meaning = cells
            if not in_list:
                out.append(".Bl -tag -width Ds")
                in_list = True
            out.append(".It Cm " + key.strip("`"))
            out.append(roff(meaning))
            default = "none (empty)" if default == "(empty)" else default.strip("`")
            out.append(".Pp")
            out.append("Default: " + (roff(default) if default else "empty") + ".")
            out.append("Allowed: " + roff(allowed) + ".")
            continue
        close()
        out.append(".Pp")
        out.append(roff(line))
    close()
    return "\n".join(out)


def main():
    frame_path, reference_path, out_path = sys.argv[1:]
    frame = open(frame_path).read()
    reference = open(reference_path).read()
    # The reference's own introduction is in the frame already; keys and
    # the notes between sections start at the first section heading.
    start = reference.index("\n## ")
    if frame.count("\n@KEYS@\n") != 1:
        sys.exit("the frame needs one line @KEYS@")
    text = frame.replace("\n@KEYS@\n", "\n" + keys_mdoc(reference[start:]) + "\n")
    with open(out_path, "w") as f:
        f.write(text)


main()
