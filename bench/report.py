#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the figures of one bench/run.sh run.

    bench/report.py <results-dir> <output.md>

The results directory holds what auth-bench printed: `reference`, `p2`,
`p3` (compare), `mixed-p2`, `mixed-p3`, `bcrypt12`, `login12-p2`,
`login12-p3`, `floor-p2`, `floor-p3` and `about`.
"""
import os
import re
import sys

results, output = sys.argv[1], sys.argv[2]


def read(name):
    path = os.path.join(results, name)
    return open(path).read() if os.path.exists(path) else ""


def compare(name):
    """scenario -> (req/s, p50, p99, errors, pg ms per request, rss MiB)"""
    rows = {}
    for line in read(name).splitlines():
        parts = line.split()
        if len(parts) == 7:
            rows[parts[0]] = tuple(float(p) for p in parts[1:])
    return rows


def table_rows(name):
    """rows of an auth-bench table: (name, c, req/s, p50, p90, p99, errors)"""
    rows = []
    for line in read(name).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[1].isdigit():
            rows.append((cells[0], int(cells[1]), float(cells[2]), float(cells[3]),
                         float(cells[4]), float(cells[5]), int(cells[6])))
    return rows


def rate(x):
    return f"{x:,.0f}/s" if x >= 100 else f"{x:.1f}/s"


ref, p2, p3 = compare("reference"), compare("p2"), compare("p3")
scenarios = ["register", "login", "refresh", "me", "logout"]
targets = {"register": 1.5, "login": 1.5, "refresh": 2.0, "me": 2.0, "logout": 2.0}
label = {"me": "`/me`"}

out = ["# Benchmarks", "",
       "Written by `bench/run.sh` (do not edit by hand: run it again). One run, one",
       "load generator (`auth-bench`: one thread per client, keep-alive), everything on",
       "one machine over loopback. Figures move by ±10–20 % from run to run here.", "",
       "```", read("about").strip(), "```", "",
       "## Against the Python service it replaces (concurrency 16, bcrypt cost 4)", "",
       "The reference is `../shared/reference/python-auth-service` as its owners run it",
       "(uvicorn, one worker), on the same PostgreSQL and Redis, in the same run.",
       "A request counts as served on any 2xx answer (the reference answers 200 where",
       "this service answers 201 or 204). PostgreSQL CPU is the server's CPU time",
       "during the scenario divided by the requests served.", "",
       "| scenario | reference | p2 build | p3 build | p2 ÷ ref | p3 ÷ ref | target (p3) | met |",
       "|---|---|---|---|---|---|---|---|"]
for s in scenarios:
    if s not in ref or s not in p2 or s not in p3:
        continue
    r2, r3 = p2[s][0] / ref[s][0], p3[s][0] / ref[s][0]
    met = "yes" if r3 >= targets[s] and p3[s][3] == 0 else "no"
    out.append(f"| {label.get(s, s)} | {rate(ref[s][0])} | {rate(p2[s][0])} | {rate(p3[s][0])} "
               f"| {r2:.2f} | {r3:.2f} | ≥ {targets[s]:.1f} | {met} |")
out += ["", "| scenario | p99 ms: reference / p2 / p3 | errors: reference / p2 / p3 | PostgreSQL CPU ms per request: reference / p2 / p3 | host RSS MiB: reference / p2 / p3 |",
        "|---|---|---|---|---|"]
for s in scenarios:
    if s not in ref or s not in p2 or s not in p3:
        continue
    out.append(f"| {label.get(s, s)} | {ref[s][2]:.1f} / {p2[s][2]:.1f} / {p3[s][2]:.1f} "
               f"| {ref[s][3]:.0f} / {p2[s][3]:.0f} / {p3[s][3]:.0f} "
               f"| {ref[s][4]:.2f} / {p2[s][4]:.2f} / {p3[s][4]:.2f} "
               f"| {ref[s][5]:.0f} / {p2[s][5]:.0f} / {p3[s][5]:.0f} |")

def cpu(name):
    """scenario -> (host, PostgreSQL, Redis, load generator) CPU ms per request"""
    rows = {}
    for line in read(name + ".cpu").splitlines():
        m = re.match(r"\s*(\w+): CPU ms per request: server ([0-9.]+), PostgreSQL ([0-9.]+), "
                     r"Redis ([0-9.]+), load generator ([0-9.]+)", line)
        if m:
            rows[m.group(1)] = tuple(float(m.group(i)) for i in range(2, 6))
    return rows


cpus = {name: cpu(name) for name in ["reference", "p2", "p3"]}
out += ["", "Where the machine's time went, in CPU ms per request (host = the Spin process,",
        "or uvicorn for the reference). At concurrency 16 both cores are busy, so the sum",
        "is what a request costs, and its inverse × 2 cores is roughly the rate.", "",
        "| scenario | host: ref / p2 / p3 | PostgreSQL: ref / p2 / p3 | Redis: ref / p2 / p3 | load generator: ref / p2 / p3 |",
        "|---|---|---|---|---|"]
for s in scenarios:
    if all(s in cpus[n] for n in cpus):
        cols = []
        for i in range(4):
            cols.append(" / ".join(f"{cpus[n][s][i]:.2f}" for n in ["reference", "p2", "p3"]))
        out.append(f"| {label.get(s, s)} | " + " | ".join(cols) + " |")

for build in ["p3"]:
    rows = [line.split("\t") for line in read(f"{build}.statements").splitlines() if line.count("\t") == 3]
    if rows:
        out += ["", f"PostgreSQL statements of the {build} run, by total time (`pg_stat_statements`,",
                "nested statements included: top level = the component's call):", "",
                "| calls | mean ms | top level | statement |", "|---|---|---|---|"]
        for calls, mean, top, query in rows:
            out.append(f"| {calls} | {mean} | {'yes' if top == 't' else ''} | `{query.replace('|', '∣')}` |")

out += ["", "## `/me` beside bcrypt cost 12 logins", "",
        "8 clients read `/me` for 10 s alone, then 10 s while 2 clients sign in at",
        "bcrypt cost 12 (≈ 0.3 s of CPU each, which a WebAssembly instance cannot",
        "interrupt). Target: p99 beside logins at most 3× p99 alone.", "",
        "| build | `/me` alone: req/s, p50, p99 | beside logins: req/s, p50, p99 | logins/s beside | p99 ratio | met |",
        "|---|---|---|---|---|---|"]
for build in ["p2", "p3"]:
    m = {}
    for line in read(f"mixed-{build}").splitlines():
        parts = line.split()
        if parts:
            m[parts[0]] = [float(p) for p in parts[1:]]
    if "me-alone" in m and "me-beside-logins" in m:
        a, b = m["me-alone"], m["me-beside-logins"]
        ratio = b[2] / a[2] if a[2] else float("inf")
        out.append(f"| {build} | {rate(a[0])}, {a[1]:.1f} ms, {a[2]:.1f} ms | {rate(b[0])}, {b[1]:.1f} ms, {b[2]:.1f} ms "
                   f"| {m.get('logins-beside', [0])[0]:.1f} | {ratio:.2f} | {'yes' if ratio <= 3 else 'no'} |")

native = re.search(r"native: ([0-9.]+) ms", read("bcrypt12"))
cores = os.cpu_count() or 1
out += ["", "## Login at bcrypt cost 12 against its ceiling", ""]
if native:
    native_ms = float(native.group(1))
    out += [f"Native bcrypt cost 12 here: {native_ms:.0f} ms per hash; the ceiling is",
            f"{cores} cores ÷ the time of one hash inside the component, measured by",
            "the same run at concurrency 1 (one login = one hash; the rest is small",
            "beside it). Target: ≥ 90 % of the ceiling.", "",
            "| build | login c1 (one hash in the component) | ceiling | login c16 | share of the ceiling | met |",
            "|---|---|---|---|---|---|"]
    for build in ["p2", "p3"]:
        rows = table_rows(f"login12-{build}")
        c1 = [r for r in rows if r[1] == 1]
        c16 = [r for r in rows if r[1] != 1]
        if c1 and c16:
            hash_s = c1[0][3] / 1000.0
            ceiling = cores / hash_s
            share = c16[0][2] / ceiling
            out.append(f"| {build} | {c1[0][3]:.0f} ms | {ceiling:.1f}/s | {c16[0][2]:.1f}/s "
                       f"| {share * 100:.0f} % | {'yes' if share >= 0.9 else 'no'} |")

out += ["", "## Spin's floors (concurrency 16)", "",
        "Minimal components on the same SDKs, served by the same Spin in the same run:",
        "`bench/floor` (p2, spin-sdk 5.2: a fresh instance and fresh connections per",
        "request) and `bench/floor-p3` (p3, spin-sdk 7: the instance reused, with",
        "connections opened per request or kept in the instance).", "",
        "| build | path | req/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
for build in ["p2", "p3"]:
    for r in table_rows(f"floor-{build}"):
        out.append(f"| {build} | `{r[0]}` | {rate(r[2])} | {r[3]:.2f} | {r[5]:.2f} | {r[6]} |")

# Each target in req/s beside the p3 floor for the calls its flow cannot do
# without (SPEC: refresh rotates in PostgreSQL; logout ends the session in
# PostgreSQL and blacklists the token in Redis; /me asks Redis; register
# and login write PostgreSQL and count in Redis). A target at or above its
# floor asks more than a component that does nothing else can serve.
floors = {r[0]: r[2] for r in table_rows("floor-p3")}
needs = {"register": "/floor/both", "login": "/floor/both", "refresh": "/floor/postgres",
         "me": "/floor/redis", "logout": "/floor/both"}
bounded = [s for s in scenarios if s in ref and needs[s] in floors]
if bounded:
    out += ["", "## Each target beside Spin's p3 floor for the calls it must make", "",
            "The p3 floor (above, same run) does those calls and nothing else: no JSON,",
            "no token, no stored function's work. A target near or above 100 % of its",
            "floor cannot be met on this machine, whatever the component does.", "",
            "Register and login also hash once at cost 4 inside the component: their",
            "floor adds that hash's CPU (the p3 cost-12 hash at concurrency 1 ÷ 256,",
            "spread over the cores).", "",
            "| scenario | target req/s (ratio × reference) | floor path | floor req/s | target ÷ floor | p3 ÷ floor |",
            "|---|---|---|---|---|---|"]
    c1 = [r for r in table_rows("login12-p3") if r[1] == 1]
    hash4_s = c1[0][3] / 1000.0 / 256 if c1 else 0.0
    for s in bounded:
        goal, floor = targets[s] * ref[s][0], floors[needs[s]]
        path = f"`{needs[s]}`"
        if s in ("register", "login") and hash4_s:
            floor = 1.0 / (1.0 / floor + hash4_s / cores)
            path += " + one hash"
        reached = f"{p3[s][0] / floor * 100:.0f} %" if s in p3 else "—"
        out.append(f"| {label.get(s, s)} | {rate(goal)} | {path} | {rate(floor)} "
                   f"| {goal / floor * 100:.0f} % | {reached} |")
out.append("")
open(output, "w").write("\n".join(out))
