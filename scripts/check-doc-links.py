#!/usr/bin/env python3
"""README.md and docs/ stand on their own: every relative link names a file
in the repository, and no text cites a path outside it (an absolute path
under /work, /home or /tmp, or a ../ that climbs out of the tree)."""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
pages = [os.path.join(root, "README.md")]
for d, _, files in os.walk(os.path.join(root, "docs")):
    pages += [os.path.join(d, f) for f in files if f.endswith(".md")]

bad = []
for page in pages:
    text = open(page, encoding="utf-8").read()
    rel = os.path.relpath(page, root)
    for m in re.finditer(r"\]\(([^)#\s]+)", text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target))
        if not path.startswith(root + os.sep) or not os.path.exists(path):
            bad.append(f"{rel}: link {target} is not a file in the repository")
    for m in re.finditer(r"(?<![\w.])(/(?:work|home|tmp|root)/\S+|(?:\.\./)+shared/\S*|\bDESIGN\.md)", text):
        bad.append(f"{rel}: cites {m.group(1)}, outside the repository")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
