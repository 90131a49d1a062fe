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

Usage: static-variables.py spin.toml > runtime-config.toml
The output holds the secrets; keep it private (mode 600) and throwaway.
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
    with open(sys.argv[1], "rb") as manifest:
        variables = tomllib.load(manifest).get("variables", {})
    print("[[variables_provider]]")
    print('type = "static"')
    print("[variables_provider.values]")
    for name, spec in variables.items():
        value = os.environ.get("SPIN_VARIABLE_" + name.upper(), spec.get("default"))
        if value is not None:
            print(f"{name} = {toml_string(value)}")


if __name__ == "__main__":
    main()
