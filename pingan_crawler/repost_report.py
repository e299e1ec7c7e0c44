"""What `pingan reposts` prints: repost clusters as a table or as JSON, with each copy's lag."""

from __future__ import annotations

import json
from datetime import datetime


def _lag_seconds(original: dict, copy: dict) -> int | None:
    if not original.get("published_at") or not copy.get("published_at"):
        return None
    lag = datetime.fromisoformat(copy["published_at"]) - datetime.fromisoformat(
        original["published_at"]
    )
    return int(lag.total_seconds())


def with_lags(clusters: list[dict]) -> list[dict]:
    """Clusters as JSON-ready dicts: original, copies (each with lag_seconds), max lag."""
    out = []
    for cluster in clusters:
        original, *copies = cluster["members"]
        for copy in copies:
            copy["lag_seconds"] = _lag_seconds(original, copy)
        lags = [c["lag_seconds"] for c in copies if c["lag_seconds"] is not None]
        out.append(
            {
                "id": cluster["id"],
                "size": cluster["size"],
                "sites": cluster["sites"],
                "max_lag_seconds": max(lags, default=None),
                "original": original,
                "copies": copies,
            }
        )
    return out


def human_lag(seconds: int | None) -> str:
    """'+3 d 4 h', '+6 h', '+25 min'; '?' when a publish time is unknown; '−' if a copy is older."""
    if seconds is None:
        return "?"
    sign = "+" if seconds >= 0 else "−"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        minutes = f" {rest // 60} min" if rest >= 60 else ""
        return f"{sign}{hours} h{minutes}"
    return f"{sign}{rest // 60} min"


def _when(article: dict) -> str:
    return (article.get("published_at") or "????-??-??T??:??")[:16].replace("T", " ")


def format_table(clusters: list[dict]) -> str:
    """One block per cluster: a header line, the original, then each copy with its lag."""
    if not clusters:
        return "no repost clusters"
    lines = []
    for cluster in with_lags(clusters):
        sites = ", ".join(cluster["sites"])
        lines.append(
            f"cluster {cluster['id']}: {cluster['size']} articles on {len(cluster['sites'])} "
            f"site(s) ({sites}), copies up to {human_lag(cluster['max_lag_seconds'])}"
        )
        original = cluster["original"]
        lines.append(
            f"  original {_when(original)}  {original['site']:<10} {'':>12}  "
            f"{original['title']}  {original['url']}"
        )
        for copy in cluster["copies"]:
            score = f"J {copy['match_jaccard']:.2f}" if copy.get("match_jaccard") else ""
            lag = human_lag(copy["lag_seconds"])
            lines.append(
                f"  copy     {_when(copy)}  {copy['site']:<10} {lag:>12}  "
                f"{copy['title']}  {copy['url']}  {score}".rstrip()
            )
    return "\n".join(lines)


def format_json(clusters: list[dict]) -> str:
    return json.dumps(with_lags(clusters), ensure_ascii=False, indent=2)
