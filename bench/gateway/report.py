"""Turns the oha runs of bench/gateway/run.sh into the tables BENCHMARKS.md
keeps: throughput, p50 and p99 per run, and the ratios the gateway's goals
are stated in.

    python3 report.py WORK_DIR RATE PEER_RATE BIG_KEYS
"""

import json
import os
import sys

work, rate, peer_rate, big_keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def run(label):
    path = os.path.join(work, f"{label}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    codes = data.get("statusCodeDistribution", {})
    total = sum(codes.values())
    ok = codes.get("200", 0)
    p = data["latencyPercentiles"]
    return {
        "rps": data["summary"]["requestsPerSec"],
        "ok_share": ok / total if total else 0.0,
        "p50": p["p50"] * 1000,
        "p99": p["p99"] * 1000,
        "errors": sum(data.get("errorDistribution", {}).values()),
    }


def row(name, r):
    if r is None:
        return f"| {name} | not run | | | |"
    return f"| {name} | {r['rps']:,.0f} | {r['p50']:.3f} | {r['p99']:.3f} | {r['ok_share'] * 100:.1f} % |"


print()
print("### 1. GET /v1/models with a valid key against /health, same server")
print()
print("| run | requests/s | p50 ms | p99 ms | 200 OK |")
print("| --- | ---: | ---: | ---: | ---: |")
for keys, suffix in [("10,000", "10k"), (f"{big_keys:,}", "1m")]:
    print(row(f"/health ({keys} keys in the store)", run(f"health_{suffix}")))
    print(row(f"/v1/models ({keys} keys in the store)", run(f"models_{suffix}")))
print()
for keys, suffix in [("10,000", "10k"), (f"{big_keys:,}", "1m")]:
    h, m = run(f"health_{suffix}"), run(f"models_{suffix}")
    if h and m:
        print(f"- {keys} keys: /v1/models runs at {m['rps'] / h['rps']:.2f}x the requests/s of /health (goal >= 0.9)")

print()
print("### 2. Chat completions through the gateway against straight to the fake provider")
print()
print("| run | requests/s | p50 ms | p99 ms | 200 OK |")
print("| --- | ---: | ---: | ---: | ---: |")
print(row(f"direct, fixed {rate}/s", run("direct_rate")))
print(row(f"Keydesk, fixed {rate}/s", run("gateway_rate")))
print(row("direct, peak", run("direct_peak")))
print(row("Keydesk, peak", run("gateway_peak")))
d, g = run("direct_rate"), run("gateway_rate")
if d and g:
    print()
    print(
        f"- added latency at {rate}/s: p50 {g['p50'] - d['p50']:+.3f} ms, p99 {g['p99'] - d['p99']:+.3f} ms "
        "(goal: p99 <= 1 ms)"
    )
dp, gp = run("direct_peak"), run("gateway_peak")
if dp and gp:
    print(f"- peak: Keydesk {gp['rps']:,.0f}/s, {gp['rps'] / dp['rps']:.2f}x the provider's own peak")

print()
print(f"### 3. The same chat workload through each gateway (fixed {peer_rate}/s for latency, then peak)")
print()
print("| gateway | peak requests/s | p50 added at fixed rate, ms | p99 added at fixed rate, ms | 200 OK at peak |")
print("| --- | ---: | ---: | ---: | ---: |")
base = run("direct_peer_rate")
results = {}
for name, label in [("Keydesk", "gateway"), ("LiteLLM proxy", "litellm"), ("Portkey gateway", "portkey")]:
    fixed, peak = run(f"{label}_peer_rate"), run(f"{label}_peak")
    if fixed is None or peak is None or base is None:
        print(f"| {name} | not run | | | |")
        continue
    added50, added99 = fixed["p50"] - base["p50"], fixed["p99"] - base["p99"]
    results[name] = (peak["rps"], max(added50, 0.001), max(added99, 0.001))
    print(f"| {name} | {peak['rps']:,.0f} | {added50:.3f} | {added99:.3f} | {peak['ok_share'] * 100:.1f} % |")
if "Keydesk" in results:
    k = results["Keydesk"]
    print()
    for name, goal in [("LiteLLM proxy", 20), ("Portkey gateway", 3)]:
        if name in results:
            o = results[name]
            print(
                f"- against {name}: {k[0] / o[0]:.1f}x the throughput (goal >= {goal}x), "
                f"{o[1] / k[1]:.1f}x less added p50 latency, {o[2] / k[2]:.1f}x less added p99"
            )
