#!/usr/bin/env python3
"""Summarizes bench/interleave.sh: for each benchmark and parameter set, every round's score
of every impl, and each impl's ratio to the reference impl in the same round (> 1: the impl
does better, for a throughput or a time alike), with the median, min and max over rounds.

    interleave.py DIR REF IMPL [IMPL...]     DIR holds round-R.IMPL.json (JMH's JSON)
"""
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import fmt, lower_is_better, params_text, parse_unit, short_name  # noqa: E402

FILE = re.compile(r"^round-(?P<r>\d+)\.(?P<impl>.+)\.json$")


def load(directory):
    """{(benchmark, params-without-impl): {impl: {round: (score, unit)}}}"""
    scores = {}
    for path in sorted(Path(directory).glob("round-*.json")):
        m = FILE.match(path.name)
        if not m:
            continue
        for b in json.loads(path.read_text() or "[]"):
            params = {k: v for k, v in (b.get("params") or {}).items() if k != "impl"}
            key = (short_name(b["benchmark"]), params_text(params))
            pm = b["primaryMetric"]
            scores.setdefault(key, {}).setdefault(m.group("impl"), {})[int(m.group("r"))] = (pm["score"], pm["scoreUnit"])
    return scores


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    directory, ref, impls = argv[1], argv[2], argv[3:]
    scores = load(directory)
    if not scores:
        sys.exit(f"interleave.py: no round-R.IMPL.json in {directory}")
    print(f"| benchmark | params | impl | median score | per round | ratio to {ref}: median (min–max) | rounds |")
    print("|---|---|---|---|---|---|---|")
    for (bench, params), by_impl in sorted(scores.items()):
        base = by_impl.get(ref, {})
        for impl in [ref] + impls:
            rounds = by_impl.get(impl, {})
            if not rounds:
                continue
            unit = next(iter(rounds.values()))[1]
            lower = lower_is_better(parse_unit(unit)[0])
            per_round = [rounds[r][0] for r in sorted(rounds)]
            ratios = []
            for r in sorted(rounds):
                if impl != ref and r in base and base[r][0] > 0 and rounds[r][0] > 0:
                    ours, theirs = rounds[r][0], base[r][0]
                    ratios.append(theirs / ours if lower else ours / theirs)
            ratio_text = "reference" if impl == ref else (
                f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f})" if ratios else "n/a")
            print(f"| {bench} | {params} | {impl} | {fmt(statistics.median(per_round), unit)} {unit} | "
                  f"{' / '.join(fmt(s, unit) for s in per_round)} | {ratio_text} | {len(per_round)} |")
    machine = Path(directory) / "machine.txt"
    if machine.exists() and machine.read_text().strip():
        print()
        for line in machine.read_text().splitlines():
            print(f"- {line}")


if __name__ == "__main__":
    main(sys.argv)
