#!/usr/bin/env python3
"""Reads one set's JMH JSON and its Python baselines' output and prints a Markdown table.

    report.py include SET              the set's JMH include regex
    report.py scripts SET              its Python baseline scripts, one per line
    report.py table SET JMH_JSON [PYTHON_OUTPUT]

Each row sets loopbridge's figure beside one anchor's. The last column but one is a ratio
that is > 1 exactly when loopbridge is better: loopbridge/anchor for a throughput,
anchor/loopbridge for a time; the last column says which of the two it is.
"""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sets import IMPL_PARAM, OURS, SETS  # noqa: E402

PY_LINE = re.compile(r"^(?P<name>\w+): (?P<med>[-+\d.eE]+) (?P<unit>\S+) "
                     r"\(min=(?P<min>[-+\d.eE]+) max=(?P<max>[-+\d.eE]+) n=(?P<n>\d+)\)")
SCRIPT_HEADER = re.compile(r"^# (?P<script>\S+\.py)$")

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}


def parse_unit(unit):
    """Returns (kind, factor to the base unit): 'rate' in per second, 'time' in seconds,
    or ('other:UNIT', 1) when the unit is neither."""
    unit = unit.strip()
    m = re.fullmatch(r"(?P<n>[a-zA-Z]+)/(?P<t>ns|us|µs|ms|s)", unit)   # ops/s, kcallbacks/s, ops/ms
    if m and m.group("n") not in TIME_UNITS:
        name = m.group("n")
        prefix = name[0] if name[0] in "kMG" and len(name) > 1 and name[1:].islower() else ""
        return "rate", PREFIX[prefix] / TIME_UNITS[m.group("t")]
    m = re.fullmatch(r"(?P<t>ns|us|µs|ms|s)(/\w+)?", unit)          # us/call, ns/op, us
    if m:
        return "time", TIME_UNITS[m.group("t")]
    return "other:" + unit, 1.0


def lower_is_better(kind, override=None):
    if override is not None:
        return override
    if kind == "rate":
        return False
    if kind == "time":
        return True
    raise ValueError(f"say lower_is_better for unit {kind[6:]!r} in sets.py")


def short_name(benchmark):
    return ".".join(benchmark.split(".")[-2:])


def params_text(params):
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def fmt(value, unit):
    """A figure in `unit`, compact: 12.3 M for big rates, three significant digits."""
    if value is None:
        return "n/a"
    for div, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= div and unit.startswith("ops/"):
            return f"{value / div:.3g}{suffix}"
    return f"{value:.3g}"


def figure_text(fig, unit):
    """A JMH score with its 99.9% error when JMH had enough iterations to give one."""
    text = fmt(fig["score"], unit)
    return text + (f" ± {fmt(fig['error'], unit)}" if fig["error"] else "")


def read_jmh(path):
    """Groups JMH results into rows keyed by (short name, params without impl)."""
    rows = {}
    for r in json.loads(Path(path).read_text() or "[]"):
        params = dict(r.get("params") or {})
        impl = params.pop(IMPL_PARAM, OURS)
        key = (short_name(r["benchmark"]), tuple(sorted(params.items())))
        pm = r["primaryMetric"]
        err = pm.get("scoreError")
        row = rows.setdefault(key, {"mode": r["mode"], "unit": pm["scoreUnit"], "figures": {}})
        row["figures"][impl] = {"score": pm["score"],
                                "error": None if err in (None, "NaN") else float(err),
                                "unit": pm["scoreUnit"]}
    return rows


def read_python(path, bench_set):
    """Yields (script, PyLine, anchor label, median, min, max, unit) for the lines the set maps."""
    by_script = {s.script: s for s in bench_set.python}
    current = None
    if not path or not Path(path).exists():
        return
    for line in Path(path).read_text().splitlines():
        h = SCRIPT_HEADER.match(line.strip())
        if h:
            current = by_script.get(Path(h.group("script")).name)
            continue
        m = PY_LINE.match(line.strip())
        if not m or current is None or m.group("name") not in current.lines:
            continue
        yield (current, current.lines[m.group("name")], m.group("name"),
               float(m.group("med")), float(m.group("min")), float(m.group("max")), m.group("unit"))


def convert(value, from_unit, to_unit):
    k_from, f_from = parse_unit(from_unit)
    k_to, f_to = parse_unit(to_unit)
    if k_from != k_to:
        raise ValueError(f"cannot compare {from_unit} with {to_unit}")
    return value * f_from / f_to


def table(set_name, jmh_json, python_out=None):
    bench_set = SETS[set_name]
    rows = read_jmh(jmh_json)
    out = []   # (benchmark, params, unit, ours, anchor, anchor text, ratio, ratio kind)

    def add(key, row, anchor, anchor_value, anchor_text, override=None):
        kind, _ = parse_unit(row["unit"])
        lower = lower_is_better(kind, override)
        ours = row["figures"].get(OURS)
        ratio = None
        if ours and anchor_value:
            ratio = anchor_value / ours["score"] if lower else ours["score"] / anchor_value
        ours_text = "n/a" if not ours else figure_text(ours, row["unit"])
        out.append((key[0], params_text(dict(key[1])), row["unit"], ours_text, anchor,
                    anchor_text, "n/a" if ratio is None else f"{ratio:.2f}",
                    "anchor/lb (time)" if lower else "lb/anchor (thrpt)"))

    py = list(read_python(python_out, bench_set))
    for key in sorted(rows):
        row = rows[key]
        for impl, fig in sorted(row["figures"].items()):
            if impl != OURS:
                add(key, row, impl, fig["score"], figure_text(fig, row["unit"]))
        params = dict(key[1])
        for script, pyline, name, med, lo, hi, unit in py:
            if pyline.benchmark != key[0] or any(params.get(k) != v for k, v in pyline.params.items()):
                continue
            conv = [convert(v, unit, row["unit"]) for v in (med, lo, hi)]
            add(key, row, script.anchor, conv[0],
                f"{fmt(conv[0], row['unit'])} ({fmt(conv[1], row['unit'])}–{fmt(conv[2], row['unit'])})",
                pyline.lower_is_better)
        if len(row["figures"]) == 1 and OURS in row["figures"] and not any(
                p[1].benchmark == key[0] for p in py):
            add(key, row, "-", None, "-")
    mapped = {(p[1].benchmark, tuple(sorted(p[1].params.items()))) for p in py}
    for bench, params in sorted(mapped):
        if not any(k[0] == bench and all(dict(k[1]).get(a) == b for a, b in params) for k in rows):
            print(f"note: no JMH row for {bench} {params_text(dict(params))}; its Python figure is not shown",
                  file=sys.stderr)

    header = ("benchmark", "params", "unit", "loopbridge", "anchor", "anchor figure",
              "ratio (>1: loopbridge better)", "ratio is")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in out]
    return "\n".join(lines)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("include", "scripts", "table") or argv[2] not in SETS:
        sys.exit(f"usage: {Path(argv[0]).name} include|scripts|table SET ...  (sets: {', '.join(SETS)})")
    cmd, bench_set = argv[1], SETS[argv[2]]
    if cmd == "include":
        print(bench_set.include)
    elif cmd == "scripts":
        for s in bench_set.python:
            print(s.script)
    else:
        if len(argv) < 4:
            sys.exit("usage: report.py table SET JMH_JSON [PYTHON_OUTPUT]")
        print(table(argv[2], argv[3], argv[4] if len(argv) > 4 else None))


if __name__ == "__main__":
    main(sys.argv)
