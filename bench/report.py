"""A results file of bench/pages.py as the Markdown table of the README.

    .venv/bin/python bench/report.py bench/results/pages-<stamp>.json [more.json ...]

Several files (e.g. scale 1 and scale 10) give one column per database and scale.
"""

from __future__ import annotations

import json
import sys


def main(paths: list[str]) -> int:
    runs = [run for path in paths for run in json.load(open(path))["runs"]]  # noqa: SIM115
    names = [row["name"] for row in runs[0]["endpoints"]] + ["bare_floor"]
    labels = {row["name"]: row["label"] for row in runs[0]["endpoints"]}
    labels["bare_floor"] = "bare Django floor (startproject middleware)"
    heads = [f"{run['database']}, N={run['scale']}" for run in runs]
    print("| endpoint | target | " + " | ".join(heads) + " |")
    print("|---|---|" + "---|" * len(runs))
    for name in names:
        cells = []
        target = ""
        for run in runs:
            rows = {r["name"]: r for r in run["endpoints"]} | {"bare_floor": run["bare_floor"]}
            row = rows[name]
            if name == "floor":
                cells.append(f"{run['floor_rps']:,.0f} req/s, {row['queries']} q")
                continue
            if name == "bare_floor":
                mark = "" if run["floor_within_10pct_of_bare"] else " ✗"
                cells.append(f"{run['floor_vs_bare']:.2f}{mark} ({row['rps']:,.0f}/s)")
                continue
            if row.get("target"):
                target = f"≤ {row['target']:g}×"
            mark = "" if row.get("holds") in (None, True) else " ✗"
            cells.append(
                f"{row['multiple']:.1f}×{mark} ({row['rps']:,.0f}/s, p50 {row['p50_ms']:.0f} ms, "
                f"p99 {row['p99_ms']:.0f} ms, {row['queries']} q)"
            )
        if name == "bare_floor":
            target = "bare ÷ app floor ≤ 1.10"
        print(f"| {labels[name]} | {target} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
