#!/usr/bin/env python3
"""Prints a Spin runtime config that answers every variable of a manifest
from a static provider: the value of SPIN_VARIABLE_<NAME> when it is set,
else the manifest's default (a required variable with neither is left out,
so Spin still names it at start-up).

Why: Spin always asks its environment provider last, and that provider
blocks a runtime thread for every read (a hand-off to another thread, about
1 ms of waiting at 16 concurrent requests). A static provider is asked
first and answers from memory. Measured under Spin 4.1 and 3.6.3 with a
minimal component reading 5 variables per request: ≈ 1,900/s through the
environment, ≈ 10,000/s (as fast as reading none) through this file.

Usage: static-variables.py spin.toml [runtime-config.toml]
It writes the file itself (default: runtime-config.toml, which git ignores)
with mode 600, since it holds the secrets, and refuses to overwrite one that
exists: remove it first. Nothing is printed but where it went.
"""

import json
import os
import sys
import tomllib


def toml_string(value: str) -> str:
    # JSON's escapes are TOML's; TOML also wants DEL escaped, and takes
    # other characters as they are (no surrogate pairs).
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: static-variables.py spin.toml [runtime-config.toml]")
    target = sys.argv[2] if len(sys.argv) == 3 else "runtime-config.toml"
    with open(sys.argv[1], "rb") as manifest:
        variables = tomllib.load(manifest).get("variables", {})
    lines = ["[[variables_provider]]", 'type = "static"', "[variables_provider.values]"]
    for name, spec in variables.items():
        value = os.environ.get("SPIN_VARIABLE_" + name.upper(), spec.get("default"))
        if value is not None:
            lines.append(f"{name} = {toml_string(value)}")
    # Created private, never over an existing file (nor through a symlink).
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        sys.exit(f"static-variables.py: {target} exists; remove it first")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print(f"static-variables.py: wrote {target} (mode 600)", file=sys.stderr)


if __name__ == "__main__":
    main()
