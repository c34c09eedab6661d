#!/usr/bin/env python3
"""Every route of the API route table (medgatectl api-routes) is documented
in docs/openapi.yaml with its method and the role it needs, and the file
documents no route the table lacks. Reads the YAML by indentation: the
file's own shape, no YAML library needed."""
import re
import subprocess
import sys

medgatectl, openapi = sys.argv[1], sys.argv[2]
table = {}
for line in subprocess.run([medgatectl, "api-routes"], check=True, capture_output=True,
                           text=True).stdout.splitlines():
    method, path, action, roles = line.split(" ", 3)
    table[(method.lower(), path)] = roles

documented = {}
path = method = None
for line in open(openapi):
    m = re.match(r"^  (/\S+):\s*$", line)
    if m:
        path, method = m.group(1), None
        continue
    m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
    if m and path:
        method = m.group(1)
        documented[(method, path)] = None
        continue
    m = re.match(r"^      x-required-role:\s*(.+?)\s*$", line)
    if m and path and method:
        documented[(method, path)] = m.group(1)

problems = []
for key, roles in sorted(table.items()):
    if key not in documented:
        problems.append(f"{key[0].upper()} {key[1]}: not in {openapi}")
    elif documented[key] != roles:
        problems.append(f"{key[0].upper()} {key[1]}: x-required-role '{documented[key]}', "
                        f"the code says '{roles}'")
for key in sorted(documented):
    if key[1].startswith("/api/") and key not in table:
        problems.append(f"{key[0].upper()} {key[1]}: documented but not a route")
for p in problems:
    print(p)
print(f"{len(table)} routes, {len(problems)} problems")
sys.exit(1 if problems else 0)
