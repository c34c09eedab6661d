#!/usr/bin/env python3
"""The man pages are true to the programs and lint-clean.

usage: check_man.py SOURCE_DIR BUILD_DIR

1. `mandoc -Tlint` prints nothing for any page, but for "referenced manual
   not found" about our own pages: mandoc looks cross references up only
   in the system's manual tree, where they are once installed (the
   package test lints the installed pages again).
2. medgated(8), medgatectl(8) and medgate-device(1) name exactly the
   options their program's help prints (medgatectl: its --help and each
   command group's usage); options a page names beyond that must be ones
   the program accepts without listing them (-h, --help, -V, --version,
   --config), and each is tried.
3. medgate.conf(5) names every key of `medgatectl config-reference`, and
   no other."""
import os
import re
import subprocess
import sys

src, build = sys.argv[1:3]
failures = []
MAN = {"medgated.8": "medgated", "medgatectl.8": "medgatectl",
       "medgate-device.1": "medgate-device", "medgate-instance.8": None}
MACRO = re.compile(r"^(?:[A-Z][a-z]{1,2}|%[A-Z])$")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def page_path(name):
    return os.path.join(build, "man", name) if name == "medgate.conf.5" \
        else os.path.join(src, "man", name)


# 1. Lint.
pages = list(MAN) + ["medgate.conf.5"]
own = {n.rsplit(".", 1)[0] + " " + n.rsplit(".", 1)[1] for n in pages}
for name in pages:
    r = run(["mandoc", "-Tlint", page_path(name)])
    out = [line for line in (r.stdout + r.stderr).splitlines()
           if not any(line.endswith(f"referenced manual not found: Xr {o}") or
                      f"referenced manual not found: Xr {o} (" in line for o in own)]
    if out:
        failures.append(f"mandoc -Tlint {name}:\n" + "\n".join(out))
    else:
        print(f"ok - {name}: mandoc -Tlint clean")


# 2. Options.
def page_flags(path):
    flags = set()
    for line in open(path):
        if not line.startswith("."):
            continue
        words = line[1:].split()
        in_fl = False
        for w in words:
            if w == "Fl":
                in_fl = True
            elif MACRO.match(w):
                in_fl = False
            elif in_fl and w not in ("|", ",", ";", ":", "(", ")", "[", "]", "..."):
                flags.add("-" + w.rstrip(",;:"))
    return flags


def help_flags(text):
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))


def help_text(program):
    exe = os.path.join(build, program)
    texts = [run([exe, "--help"]).stdout]
    if program == "medgatectl":
        # Every command --help lists ("  NAME ..." under "commands:").
        listed = texts[0].split("commands:", 1)[-1]
        groups = [m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]*)\b", listed, re.M)]
        for group in groups:
            r = run([exe, group, "--help"], env=dict(os.environ, MEDGATE_CONFIG=""))
            texts.append(r.stdout + r.stderr)
    return "\n".join(texts)


UNLISTED = {"-h": ["-h"], "--help": ["--help"], "-V": ["-V"], "--version": ["--version"],
            "--config": ["--config", "/nonexistent/medgate.conf", "measurement", "count"]}
for page, program in MAN.items():
    if program is None:
        continue
    in_help = help_flags(help_text(program))
    in_page = page_flags(page_path(page))
    missing = sorted(in_help - in_page)
    extra = sorted(in_page - in_help)
    if missing:
        failures.append(f"{page} lacks options {program} --help prints: {' '.join(missing)}")
    for flag in extra:
        if flag not in UNLISTED:
            failures.append(f"{page} names {flag}, which {program} --help does not print")
            continue
        r = run([os.path.join(build, program)] + UNLISTED[flag])
        accepted = r.returncode == 0 or (flag == "--config" and "/nonexistent" in r.stderr)
        if not accepted:
            failures.append(f"{page} names {flag}, which {program} refuses: {r.stderr.strip()}")
    if not missing:
        print(f"ok - {page}: the {len(in_help)} options {program} prints, "
              f"and {len(extra)} it accepts unlisted")

# 3. Configuration keys: every (section, key) of the reference is in the page.
reference = run([os.path.join(build, "medgatectl"), "config-reference"]).stdout
want, section = set(), None
for line in reference.splitlines():
    m = re.match(r"## (\[.+\])$", line)
    if m:
        section = m.group(1)
    m = re.match(r"\| `([a-z_0-9]+)` \|", line)
    if m:
        want.add((section, m.group(1)))
have, section = set(), None
for line in open(page_path("medgate.conf.5")):
    m = re.match(r"\.Ss (\[.+\])", line)
    if m:
        section = m.group(1)
    m = re.match(r"\.It Cm ([a-z_0-9]+)$", line)
    if m and section:
        have.add((section, m.group(1)))
if want != have or not want:
    failures.append(f"medgate.conf.5 keys differ: missing {sorted(want - have)}, "
                    f"extra {sorted(have - want)}")
else:
    print(f"ok - medgate.conf.5 names the {len(want)} keys of config-reference")

sys.stdout.flush()
for f in failures:
    print("FAIL: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
