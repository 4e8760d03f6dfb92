#!/usr/bin/env python3
"""Reads one set's JMH JSON, its JVM mains' output and its Python baselines' output, and
prints a Markdown table.

    report.py include SET              the set's JMH include regex
    report.py scripts SET              its Python baseline scripts, one per line
    report.py mains SET                its JVM mains, one per line: JVM options, class, args
    report.py table SET JMH_JSON [PYTHON_OUTPUT [MAINS_OUTPUT]]

Each row sets one of loopbridge's figures (loopbridge, or a variant such as
loopbridge-portable, shown with impl=... in the params column) beside one anchor's. The
last column but one is a ratio that is > 1 exactly when loopbridge is better:
loopbridge/anchor for a throughput, anchor/loopbridge for a time; the last column says
which of the two it is.
"""
import math
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sets import IMPL_PARAM, OURS, SETS, is_ours  # noqa: E402

PY_LINE = re.compile(r"^(?P<name>\w+): (?P<med>[-+\d.eE]+) (?P<unit>\S+) "
                     r"\(min=(?P<min>[-+\d.eE]+) max=(?P<max>[-+\d.eE]+) n=(?P<n>\d+)\)")
SCRIPT_HEADER = re.compile(r"^# (?P<script>\S+\.py)$")
# A main's figure it could not measure: "# NAME: DID NOT FIT: why" (the status in capitals).
NOT_MEASURED = re.compile(r"^# (?P<name>\w+): (?P<status>[A-Z][A-Z ]*[A-Z]): (?P<why>.*)$")
DIFF_SEP = ":"

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
    """A figure in `unit`, compact: 12.3 M for big rates, three significant digits, whole
    numbers from 1000 on (1230 bytes/task, not 1.23e+03)."""
    if value is None:
        return "n/a"
    for div, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= div and unit.startswith("ops/"):
            return f"{value / div:.3g}{suffix}"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.3g}"


def figure_text(fig, unit):
    """A JMH score with its 99.9% error when JMH had enough iterations to give one; a main's
    median with its min–max over repeats."""
    if fig.get("status"):
        return fig["status"]
    text = fmt(fig["score"], unit)
    if fig.get("range"):
        lo, hi = fig["range"]
        return text + f" ({fmt(lo, unit)}–{fmt(hi, unit)})"
    return text + (f" ± {fmt(fig['error'], unit)}" if fig["error"] else "")


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


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


def parse_lines(path, pattern=PY_LINE):
    """Yields (header, match) for each line of a Python-format output file that matches
    pattern (a figure line by default), where header is the last '# NAME.py' line before it."""
    if not path or not Path(path).exists():
        return
    header = None
    for line in Path(path).read_text().splitlines():
        h = SCRIPT_HEADER.match(line.strip())
        if h:
            header = Path(h.group("script")).name
            continue
        m = pattern.match(line.strip())
        if m:
            yield header, m


def read_python(path, bench_set):
    """Yields (script, PyLine, printed name, median, min, max, unit) for the lines the set maps."""
    by_script = {s.script: s for s in bench_set.python}
    for header, m in parse_lines(path):
        current = by_script.get(header)
        if current is None or m.group("name") not in current.lines:
            continue
        for pyline in as_tuple(current.lines[m.group("name")]):
            yield (current, pyline, m.group("name"),
                   float(m.group("med")), float(m.group("min")), float(m.group("max")), m.group("unit"))


def read_mains(path, bench_set, rows):
    """Adds the JVM mains' figures to rows, as JMH rows keyed by the JvmLines they map to.
    A figure a main could not measure ("# NAME: DID NOT FIT: why") shows as its status."""
    for _, m in parse_lines(path, NOT_MEASURED):
        for jl in as_tuple(bench_set.jvm_lines.get(m.group("name"), ())):
            key = (jl.benchmark, tuple(sorted(jl.params.items())))
            row = rows.setdefault(key, {"mode": "main", "unit": None, "figures": {},
                                        "lower": jl.lower_is_better})
            row["figures"][jl.impl] = {"score": None, "error": None, "unit": None,
                                       "status": m.group("status").lower()}
    for _, m in parse_lines(path):
        for jl in as_tuple(bench_set.jvm_lines.get(m.group("name"), ())):
            key = (jl.benchmark, tuple(sorted(jl.params.items())))
            row = rows.setdefault(key, {"mode": "main", "unit": None, "figures": {},
                                        "lower": jl.lower_is_better})
            row["unit"] = row["unit"] or m.group("unit")
            if row["unit"] != m.group("unit"):
                raise ValueError(f"{jl.benchmark}: {m.group('name')} is in {m.group('unit')}, "
                                 f"other figures of the row in {row['unit']}")
            n = int(m.group("n"))
            row["figures"][jl.impl] = {
                "score": float(m.group("med")), "error": None, "unit": m.group("unit"),
                "range": (float(m.group("min")), float(m.group("max"))) if n > 1 else None}


def add_differences(rows, bench_set):
    """Derived rows 'Class.method:LABEL': each of ours minus the named anchor, same params."""
    for d in bench_set.differences:
        for key, row in list(rows.items()):
            base = row["figures"].get(d.minus)
            if key[0] != d.benchmark or base is None:
                continue
            figures = {}
            for impl, fig in row["figures"].items():
                if is_ours(impl):
                    errs = [e for e in (fig["error"], base["error"]) if e]
                    figures[impl] = {"score": fig["score"] - base["score"], "unit": row["unit"],
                                     "error": math.sqrt(sum(e * e for e in errs)) if errs else None}
            if figures:
                rows[(key[0] + DIFF_SEP + d.label, key[1])] = {
                    "mode": row["mode"], "unit": row["unit"], "figures": figures,
                    "lower": row.get("lower"), "note": f"{'/'.join(sorted(figures))} − {d.minus}"}


def convert(value, from_unit, to_unit):
    k_from, f_from = parse_unit(from_unit)
    k_to, f_to = parse_unit(to_unit)
    if k_from != k_to:
        raise ValueError(f"cannot compare {from_unit} with {to_unit}")
    return value * f_from / f_to


def table(set_name, jmh_json, python_out=None, mains_out=None):
    bench_set = SETS[set_name]
    rows = read_jmh(jmh_json) if jmh_json and Path(jmh_json).exists() else {}
    read_mains(mains_out, bench_set, rows)
    add_differences(rows, bench_set)
    out = []   # (benchmark, params, unit, ours, anchor, anchor text, ratio, ratio kind)

    def add(key, row, ours_impl, anchor, anchor_value, anchor_text, override=None):
        kind, _ = parse_unit(row["unit"])
        ours = row["figures"].get(ours_impl)
        if row["unit"] == "-":     # nothing measured in the row: no direction to tell
            lower = True
        else:
            lower = lower_is_better(kind, override if override is not None else row.get("lower"))
        ratio = None
        if ours and ours["score"] and anchor_value and ours["score"] > 0 and anchor_value > 0:
            ratio = anchor_value / ours["score"] if lower else ours["score"] / anchor_value
        ours_text = "n/a" if not ours else figure_text(ours, row["unit"])
        params = dict(key[1])
        if ours_impl != OURS:
            params = {IMPL_PARAM: ours_impl, **params}
        name = key[0] + (f" ({row['note']})" if row.get("note") else "")
        out.append((name, params_text(params), row["unit"], ours_text, anchor,
                    anchor_text, "n/a" if ratio is None else f"{ratio:.2f}",
                    ("anchor/lb (time)" if kind == "time" else "anchor/lb (lower is better)") if lower
                    else "lb/anchor (thrpt)"))

    py = list(read_python(python_out, bench_set))
    for key in sorted(rows):
        row = rows[key]
        if row["unit"] is None:    # only statuses: borrow the unit of a sibling row or a Python line
            row["unit"] = next((r["unit"] for k, r in rows.items() if k[0] == key[0] and r["unit"]),
                               next((p[6] for p in py if p[1].benchmark == key[0]), "-"))
        params = dict(key[1])
        ours_impls = sorted((i for i in row["figures"] if is_ours(i)), key=lambda i: (i != OURS, i))
        for ours_impl in ours_impls or [OURS]:
            paired = False
            for impl, fig in sorted(row["figures"].items()):
                if not is_ours(impl):
                    add(key, row, ours_impl, impl, fig["score"], figure_text(fig, row["unit"]))
                    paired = True
            for script, pyline, name, med, lo, hi, unit in py:
                if pyline.benchmark != key[0] or any(params.get(k) != v for k, v in pyline.params.items()):
                    continue
                conv = [convert(v, unit, row["unit"]) for v in (med, lo, hi)]
                add(key, row, ours_impl, pyline.anchor or script.anchor, conv[0],
                    f"{fmt(conv[0], row['unit'])} ({fmt(conv[1], row['unit'])}–{fmt(conv[2], row['unit'])})",
                    pyline.lower_is_better)
                paired = True
            if not paired and ours_impl in row["figures"]:
                add(key, row, ours_impl, "-", None, "-")
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
    if len(argv) < 3 or argv[1] not in ("include", "scripts", "mains", "table") or argv[2] not in SETS:
        sys.exit(f"usage: {Path(argv[0]).name} include|scripts|mains|table SET ...  (sets: {', '.join(SETS)})")
    cmd, bench_set = argv[1], SETS[argv[2]]
    if cmd == "include":
        print(bench_set.include)
    elif cmd == "scripts":
        for s in dict.fromkeys(s.script for s in bench_set.python):
            print(s)
    elif cmd == "mains":
        for m in bench_set.mains:
            words = [*m.jvm_args, m.main, *m.args]
            if any(not w or any(c.isspace() for c in w) for w in words):
                sys.exit(f"report.py: JVM main words must not be empty or hold spaces: {words}")
            print(" ".join(words))
    else:
        if len(argv) < 4:
            sys.exit("usage: report.py table SET JMH_JSON [PYTHON_OUTPUT [MAINS_OUTPUT]]")
        print(table(argv[2], argv[3], *argv[4:6]))


if __name__ == "__main__":
    main(sys.argv)
