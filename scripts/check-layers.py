#!/usr/bin/python3
"""Fails if a file under src/ includes a header from a layer above its own.

    scripts/check-layers.py [SOURCE_DIR]

Every folder under src/ has a place in LAYERS, bottom to top, and may
include its own headers and those of the folders before it, unless ONLY
narrows that down. A folder that is in neither table is an error: a new
folder is placed deliberately. Only project includes ("...") count, not
<system> ones; tests/, fuzz/ and bench/ are not checked. The picture and
the reasons are in docs/internals/layers.md.

Each violation is printed as
    file:line: <folder> may not include <header> (<folder> is below <other>)
and the exit status is 1 if there is any.
"""
import os
import re
import sys

# Bottom to top.
LAYERS = [
    "common",   # buffers, errors, logging, config, time, JSON helpers, metrics counters
    "model",    # domain types
    "crypto",
    "tls",
    "store",
    "notify",
    "audit",
    "access",
    "detect",
    "sbom",     # inventory, CycloneDX, advisory and release feeds
    "backup",   # backup file format, create, read, the scheduled backups
    "hl7",      # codec
    "fhir",     # codec
    "http",     # libmicrohttpd listener and response helpers
    "ingest",
    "outbox",
    "web",
    "daemon",
    "cli",
]

# Folders that may include only these (besides their own headers),
# wherever they stand. device/ is the device agent: not in LAYERS, so
# nothing but cli/ may include it.
ONLY = {
    "model": {"common"},
    "hl7": {"common", "model"},
    "fhir": {"common", "model"},
    "sbom": {"common", "model"},
    "device": {"common", "model"},
}

# May include anything.
ANYTHING = {"cli"}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def rank(folder):
    return LAYERS.index(folder) if folder in LAYERS else None


def known(folder):
    return folder in LAYERS or folder in ONLY


def header_folder(src, path, header):
    """The folder under src/ that header belongs to: next to the file if it
    is there, else from the include path (src/ is the include root)."""
    beside = os.path.normpath(os.path.join(os.path.dirname(path), header))
    if os.path.exists(beside):
        rel = os.path.relpath(beside, src)
    else:
        rel = os.path.normpath(header)
    if "/" not in rel:  # not found anywhere: a header of its own folder
        return os.path.relpath(path, src).split("/")[0]
    return rel.split("/")[0]


def why_not(folder, other):
    """None if folder may include other's headers, else the reason."""
    if other == folder or folder in ANYTHING:
        return None
    if not known(other):
        return "%s is not in the layer table" % other
    if folder in ONLY:
        if other in ONLY[folder]:
            return None
        if rank(folder) is not None and rank(other) is not None and rank(other) < rank(folder):
            return "%s may include only %s" % (folder, " and ".join(sorted(ONLY[folder])))
        return "%s is below %s" % (folder, other)
    if rank(other) is None or rank(other) > rank(folder):
        return "%s is below %s" % (folder, other)
    return None


def sources(src):
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.join(root, name)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    src = os.path.join(top, "src")
    problems = []
    unplaced = set()
    files = 0

    for path in sources(src):
        files += 1
        shown = os.path.relpath(path, top)
        parts = os.path.relpath(path, src).split("/")
        if len(parts) == 1:
            problems.append("%s: a file directly in src/ has no layer" % shown)
            continue
        folder = parts[0]
        if not known(folder):
            unplaced.add(folder)
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if m is None:
                    continue
                header = m.group(1)
                reason = why_not(folder, header_folder(src, path, header))
                if reason is not None:
                    problems.append("%s:%d: %s may not include %s (%s)"
                                    % (shown, number, folder, header, reason))

    for folder in sorted(unplaced):
        problems.append("src/%s: not in the layer table of scripts/check-layers.py; "
                        "place it deliberately" % folder)
    for p in problems:
        print(p)
    if problems:
        print("%d layering problem(s) in %d files (see docs/internals/layers.md)"
              % (len(problems), files))
        return 1
    print("layers: %d files, no upward includes" % files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
