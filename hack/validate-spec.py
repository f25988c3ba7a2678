#!/usr/bin/python3
"""Validate OCI runtime-spec documents against the runtime-spec JSON schema.

usage: validate-spec.py [--state] SCHEMA_DIR FILE...

SCHEMA_DIR is the runtime-spec `schema/` directory (config-schema.json,
defs.json, ...). Each FILE is validated against config-schema.json, or
state-schema.json with --state. Errors are printed one per line as
"FILE: PATH: MESSAGE". Exit status: 0 if every file is valid, 1 if any is
invalid or unreadable, 2 on usage errors.

Needs python3-jsonschema (Debian); run it with /usr/bin/python3.
"""

import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("validate-spec.py: the jsonschema module is missing (apt-get install python3-jsonschema)\n")
    sys.exit(2)


def load_json(path):
    with open(path, "rb") as handle:
        return json.load(handle)


def make_validator(schema_dir, schema_name):
    schema_dir = os.path.abspath(schema_dir)
    schema = load_json(os.path.join(schema_dir, schema_name))
    # Preload every schema file under its file:// URI so relative $refs
    # such as "defs.json#/definitions/Mount" resolve without network access.
    store = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json"):
            path = os.path.join(schema_dir, name)
            store["file://" + path] = load_json(path)
    base_uri = "file://" + os.path.join(schema_dir, schema_name)
    resolver = jsonschema.RefResolver(base_uri=base_uri, referrer=schema, store=store)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    cls.check_schema(schema)
    return cls(schema, resolver=resolver)


def error_path(error):
    return "/" + "/".join(str(part) for part in error.absolute_path)


def main(argv):
    args = argv[1:]
    schema_name = "config-schema.json"
    if args and args[0] == "--state":
        schema_name = "state-schema.json"
        args = args[1:]
    if len(args) < 2 or args[0].startswith("-"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    schema_dir, files = args[0], args[1:]
    try:
        validator = make_validator(schema_dir, schema_name)
    except (OSError, ValueError, jsonschema.SchemaError) as err:
        sys.stderr.write("validate-spec.py: cannot load schema %s from %s: %s\n" % (schema_name, schema_dir, err))
        return 2

    failed = False
    for path in files:
        try:
            document = load_json(path)
        except (OSError, ValueError) as err:
            print("%s: cannot read: %s" % (path, err))
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            print("%s: %s: %s" % (path, error_path(error), error.message))
        if errors:
            failed = True
        else:
            print("%s: ok" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
