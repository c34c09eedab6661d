#!/usr/bin/env python3
"""Validate a CycloneDX JSON BOM against the CycloneDX 1.5 JSON schema,
with python3-jsonschema (Debian) and the schema files the npm package
@cyclonedx/cyclonedx-library ships (res/schema/). Nothing is fetched: the
schema's references (SPDX licence ids, JSF signatures) resolve to the
files beside it, and any other reference fails.

    cdx_validate.py SCHEMA_DIR BOM.json     exit 0 if valid, else 1 with the errors
"""
import json
import os
import sys

import jsonschema

sys.dont_write_bytecode = True
schema_dir, bom_path = sys.argv[1:3]


def load(name):
    with open(os.path.join(schema_dir, name)) as f:
        return json.load(f)


schema = load("bom-1.5.SNAPSHOT.schema.json")
base = "http://cyclonedx.org/schema/"
store = {base + name: load(name) for name in ("spdx.SNAPSHOT.schema.json",
                                               "jsf-0.82.SNAPSHOT.schema.json")}
store[schema["$id"]] = schema
resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema, resolver=resolver,
                                       format_checker=jsonschema.draft7_format_checker)
with open(bom_path) as f:
    bom = json.load(f)
errors = sorted(validator.iter_errors(bom), key=lambda e: list(e.absolute_path))
for e in errors[:20]:
    print("invalid at /%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message[:300]),
          file=sys.stderr)
if errors:
    sys.exit(1)
print("valid CycloneDX %s: %d components, %d dependency entries"
      % (bom.get("specVersion"), len(bom.get("components", [])), len(bom.get("dependencies", []))))
