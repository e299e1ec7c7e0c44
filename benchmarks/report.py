"""Benchmark rows as a Markdown table (printed, and written to BENCHMARKS.md)."""

from __future__ import annotations

from benchmarks.harness import Row


def _figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | measure | ours | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        baseline = (
            f"{_figure(row.baseline, row.unit)} ({row.baseline_name})"
            if row.baseline is not None
            else "–"
        )
        ratio = "–" if row.ratio is None else f"{row.ratio:.3g}×"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(
            f"| {row.benchmark} | {row.metric} | {_figure(row.ours, row.unit)} | {baseline} "
            f"| {ratio} | {row.goal} | {met} |"
        )
    return "\n".join(lines)
