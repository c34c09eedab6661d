#!/usr/bin/env python3
"""The web interface's languages are complete (docs/web.md, "Languages").

Fails when a message file (web/js/i18n/<code>.js) is not listed in
web/js/i18n.js, when a language lacks a key English has (or has one
English lacks), when a key's {placeholders} differ between languages,
when code calls t('key') with a key English lacks, when a page path of
web/js/app.js has no nav.<path> text, and when a file outside STILL_ENGLISH
puts a literal English text where people read it (a label, hint, notice,
heading, title, button, error) instead of t('key'). --self-test breaks a copy of the
tree in each of these ways and checks that each is caught.

usage: check-i18n.py ROOT [--self-test]
"""
import json
import pathlib
import re
import shutil
import sys
import tempfile

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
CALL = re.compile(r"""\bt\(\s*(['"])([A-Za-z0-9_.-]+)\1""")
DYNAMIC = re.compile(r"""\bt\(\s*`([A-Za-z0-9_.-]+)\$\{""")
PATH = re.compile(r"""\{\s*path:\s*'([a-z0-9_-]+)'""")
HEAD = "export default "
# Pages not yet in every language (being reworked on other branches when
# this list was made); each comes off it when its texts go through t().
STILL_ENGLISH = {"web/js/pages/patient.js", "web/js/pages/patient_identity.js",
                 "web/js/pages/patients.js", "web/js/chart.js", "web/js/body.js",
                 "web/js/pages/patient_charts.js", "web/js/pages/patient_report.js",
                 "web/js/pages/patient_table.js",
                 "web/js/pages/assignments.js", "web/js/pages/patient_correct.js",
                 "web/js/pages/patient_jump.js"}
# A text for people in code: a quoted literal with a word of two or more
# lower-case letters, as a label, hint, notice, heading, button, title or
# error, or as the text child of h('tag', {...}, ...).
LITERAL = re.compile(
    r"""(?:\b(?:label|submitLabel|hint|alt|title|error|'aria-label')\s*:\s*"""
    r"""|\b(?:notice|setFlash|confirmButton|table|notYet\([^,]*,)\s*\(?\s*"""
    r"""|\bh\('[a-z0-9]+',\s*\{[^{}]*\},\s*"""
    r"""|document\.title\s*=\s*)(['`])([^'`]*[a-z]{2,}[^'`]*)\1""")


def load(path):
    """A message file: 'export default {JSON};' and nothing else."""
    text = path.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("//")]
    text = "\n".join(lines).strip()
    if not text.startswith(HEAD) or not text.endswith(";"):
        raise ValueError(f"{path.name}: must be '{HEAD}{{...}};' (JSON) after // comments")
    data = json.loads(text[len(HEAD):-1])
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not an object")
    return data


def placeholders(msg):
    forms = msg.values() if isinstance(msg, dict) else [msg]
    out = set()
    for f in forms:
        out |= set(PLACEHOLDER.findall(f))
    return out


def check(root):
    root = pathlib.Path(root)
    errors = []
    web = root / "web" / "js"
    files = sorted((web / "i18n").glob("*.js"))
    langs = {}
    for f in files:
        try:
            langs[f.stem] = load(f)
        except (ValueError, json.JSONDecodeError) as e:
            errors.append(f"{f.name}: {e}")
    if "en" not in langs:
        return errors + ["web/js/i18n/en.js is missing"]
    index = (web / "i18n.js").read_text(encoding="utf-8")
    m = re.search(r"LANGUAGES = \{([^}]*)\}", index)
    listed = set(re.findall(r"[a-z]+", m.group(1))) if m else set()
    for code in langs:
        if f"from './i18n/{code}.js'" not in index or code not in listed:
            errors.append(f"web/js/i18n/{code}.js is not imported and listed in LANGUAGES in web/js/i18n.js")
    en = langs["en"]
    for code, msgs in langs.items():
        if "language.name" not in msgs:
            errors.append(f"{code}: no 'language.name'")
        for key, msg in msgs.items():
            if not isinstance(msg, str) and not (isinstance(msg, dict) and "other" in msg and
                                                  all(isinstance(v, str) for v in msg.values())):
                errors.append(f"{code}: {key}: a text or {{one, other, ...}} of texts")
        if code == "en":
            continue
        for key in sorted(en.keys() - msgs.keys()):
            errors.append(f"{code}: missing {key!r}")
        for key in sorted(msgs.keys() - en.keys()):
            errors.append(f"{code}: {key!r} is not in en")
        for key in sorted(en.keys() & msgs.keys()):
            if placeholders(en[key]) != placeholders(msgs[key]):
                errors.append(f"{code}: {key!r} has placeholders {sorted(placeholders(msgs[key]))}, "
                              f"en has {sorted(placeholders(en[key]))}")
    for js in sorted(web.rglob("*.js")):
        if js.parent.name == "i18n":
            continue
        text = js.read_text(encoding="utf-8")
        rel = js.relative_to(root)
        for m in CALL.finditer(text):
            if m.group(2) not in en:
                errors.append(f"{rel}: t('{m.group(2)}') has no text in en")
        for m in DYNAMIC.finditer(text):
            if not any(k.startswith(m.group(1)) for k in en):
                errors.append(f"{rel}: t(`{m.group(1)}...`) has no text in en")
        if str(rel) not in STILL_ENGLISH:
            for n, line in enumerate(text.splitlines(), 1):
                if "path: '" in line and "label:" in line:
                    continue  # app.js pages: their text is nav.<path>
                if line.lstrip().startswith(("//", "/*", "*")):
                    continue
                for m in LITERAL.finditer(line):
                    if not re.search(r"[a-z]{2,}", re.sub(r"\$\{[^}]*\}|medgate", "", m.group(2))):
                        continue
                    errors.append(f"{rel}:{n}: text for people not through t(): {m.group(1)}{m.group(2)}{m.group(1)}")
    app = (web / "app.js").read_text(encoding="utf-8")
    for path in PATH.findall(app):
        if f"nav.{path}" not in en:
            errors.append(f"web/js/app.js: page '{path}' has no 'nav.{path}' in en")
    return errors


def self_test(root):
    """Each kind of fault, made in a copy, must be reported."""
    faults = {
        "missing key": ("web/js/i18n/de.js", '"language.name"', '"language.nome"'),
        "placeholder": ("web/js/i18n/de.js", "{count}", "{anzahl}"),
        "unknown key in code": ("web/js/pages/signin.js", "t('signin.title')", "t('signin.titel')"),
        "page without nav text": ("web/js/app.js", "path: 'users'", "path: 'userz'"),
        "literal text": ("web/js/pages/users.js", "t('users.new')", "'New account'"),
    }
    failed = False
    for name, (rel, old, new) in faults.items():
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(pathlib.Path(root) / "web", pathlib.Path(tmp) / "web")
            f = pathlib.Path(tmp) / rel
            text = f.read_text(encoding="utf-8")
            if old not in text:
                print(f"self-test: {rel} has no {old!r} to break")
                failed = True
                continue
            f.write_text(text.replace(old, new, 1), encoding="utf-8")
            if not check(tmp):
                print(f"self-test: {name} was not caught")
                failed = True
    return failed


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    root = sys.argv[1]
    errors = check(root)
    for e in errors:
        print(e)
    failed = bool(errors)
    if "--self-test" in sys.argv[2:]:
        failed |= self_test(root)
    if not failed:
        print("check-i18n: every language has every text")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
