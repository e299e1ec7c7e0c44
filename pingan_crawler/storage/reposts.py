"""Repost clusters: ``article_signatures`` (each article's MinHash), ``signature_bands`` (its LSH
band keys, indexed, so a new article finds its candidates by a lookup), ``repost_clusters`` and
the ``articles.cluster_id`` column. The text similarity itself is pingan_crawler/reposts.py
(pure; numpy and zhconv load only when an article is first signed).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlite_utils import Database

from pingan_crawler.storage.common import as_dicts, now_iso, require_transaction

if TYPE_CHECKING:
    from pingan_crawler import reposts


class Reposts:
    """Owns repost_clusters, article_signatures, signature_bands and articles.cluster_id."""

    def __init__(self, db: Database):
        self.db = db

    def sign_and_cluster(self, article_id: int, body: str) -> int | None:
        """Sign a stored article's body and put it in the cluster of its near-duplicates.

        Candidates come from its LSH band keys (an indexed lookup); each is confirmed from the
        two signatures (reposts.Similarity). Runs inside the caller's transaction; returns the
        cluster id, or None when nothing matched (an article keeps a cluster it already had).
        """
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        require_transaction(self.db, "Reposts.sign_and_cluster")
        self.db.execute("DELETE FROM signature_bands WHERE article_id = ?", [article_id])
        row = dict.fromkeys(
            ("minhash", "shingles", "chars", "match_id", "match_jaccard", "match_containment")
        )
        row.update(article_id=article_id, version=reposts.SIGNATURE_VERSION)
        sig = reposts.signature(body)
        matches: list[tuple[int, reposts.Similarity]] = []
        if sig is not None:
            keys = sorted(set(sig.band_keys()))
            matches = self.matches(article_id, body, sig, keys)
            row.update(minhash=sig.to_bytes(), shingles=sig.shingle_count, chars=sig.chars)
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO signature_bands (key, article_id) VALUES (?, ?)",
                [(key, article_id) for key in keys],
            )
        if matches:
            best_id, best = max(matches, key=lambda m: (m[1].jaccard, -m[0]))
            row.update(
                match_id=best_id,
                match_jaccard=round(best.jaccard, 3),
                match_containment=round(best.containment, 3),
            )
        columns = ", ".join(row)
        self.db.execute(
            f"INSERT OR REPLACE INTO article_signatures ({columns}) "
            f"VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        if not matches:
            return None
        return self._join_cluster([article_id, *(m[0] for m in matches)])

    def matches(
        self, article_id: int, body: str, sig: reposts.Signature, keys: list[int]
    ) -> list[tuple[int, reposts.Similarity]]:
        """Archived articles sharing a band key with ``sig`` and confirmed as the same text:
        by the signatures when they are clear, else by the two bodies' exact n-gram sets."""
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            "SELECT article_id, minhash, shingles, chars FROM article_signatures "
            f"WHERE article_id IN (SELECT article_id FROM signature_bands WHERE key IN ({marks})) "
            "AND article_id != ? AND version = ? AND minhash IS NOT NULL",
            [*keys, article_id, reposts.SIGNATURE_VERSION],
        ).fetchall()
        found = []
        grams: set[str] | None = None  # this body's n-grams, made once if a borderline needs them
        for other_id, blob, count, chars in rows:
            estimate = reposts.similarity(sig, reposts.Signature.from_bytes(blob, count, chars))
            verdict = estimate.verdict
            if verdict is None:
                (other_body,) = self.db.execute(
                    "SELECT body FROM articles WHERE id = ?", [other_id]
                ).fetchone()
                if grams is None:
                    grams = reposts.shingles(reposts.normalise(body))
                exact = reposts.text_similarity(grams, other_body or "")
                if exact.same_article:
                    found.append((other_id, exact))
            elif verdict:
                found.append((other_id, estimate))
        return found

    def _join_cluster(self, article_ids: list[int]) -> int:
        """Put the articles in one cluster, merging the clusters some of them already had."""
        marks = ",".join("?" * len(article_ids))
        clusters = [
            row[0]
            for row in self.db.execute(
                f"SELECT DISTINCT cluster_id FROM articles WHERE id IN ({marks}) "
                "AND cluster_id IS NOT NULL ORDER BY cluster_id",
                article_ids,
            )
        ]
        if clusters:
            target = clusters[0]
            for other in clusters[1:]:
                self.db.execute(
                    "UPDATE articles SET cluster_id = ? WHERE cluster_id = ?", [target, other]
                )
                self.db.execute("DELETE FROM repost_clusters WHERE id = ?", [other])
        else:
            target = self.db.execute(
                "INSERT INTO repost_clusters (created_at) VALUES (?)", [now_iso()]
            ).lastrowid
        self.db.execute(
            f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks})", [target, *article_ids]
        )
        self._refresh_cluster(target)
        return target

    _CLUSTER_ORDER = "ORDER BY published_at IS NULL, published_at, first_seen, id"

    def _refresh_cluster(self, cluster_id: int) -> None:
        """The cluster's original (earliest published; ties: first seen) and its summary."""
        members = self.db.execute(
            f"SELECT id, site, published_at FROM articles WHERE cluster_id = ? "
            f"{self._CLUSTER_ORDER}",
            [cluster_id],
        ).fetchall()
        published = [m[2] for m in members if m[2]]
        self.db.execute(
            "UPDATE repost_clusters SET original_id = ?, size = ?, sites = ?, "
            "first_published = ?, last_published = ?, updated_at = ? WHERE id = ?",
            [
                members[0][0],
                len(members),
                json.dumps(sorted({m[1] or "" for m in members}), ensure_ascii=False),
                min(published, default=None),
                max(published, default=None),
                now_iso(),
                cluster_id,
            ],
        )

    def rebuild(self) -> dict[str, int]:
        """Sign every article again and recluster from scratch, oldest first (idempotent)."""
        with self.db.atomic():
            self.db.execute("DELETE FROM signature_bands")
            self.db.execute("DELETE FROM article_signatures")
            self.db.execute("UPDATE articles SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
            self.db.execute("DELETE FROM repost_clusters")
            rows = self.db.execute(f"SELECT id, body FROM articles {self._CLUSTER_ORDER}")
            for article_id, body in rows.fetchall():
                self.sign_and_cluster(article_id, body or "")
        return self.summary()

    def summary(self) -> dict[str, int]:
        """How many articles are signed, too short to sign, not yet signed, and clustered."""
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        one = self.db.execute
        return {
            "articles": one("SELECT count(*) FROM articles").fetchone()[0],
            "signed": one(
                "SELECT count(*) FROM article_signatures WHERE minhash IS NOT NULL AND version = ?",
                [reposts.SIGNATURE_VERSION],
            ).fetchone()[0],
            "too_short": one(
                "SELECT count(*) FROM article_signatures WHERE minhash IS NULL"
            ).fetchone()[0],
            "unsigned": one(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM "
                "article_signatures s WHERE s.article_id = a.id AND s.version = ?)",
                [reposts.SIGNATURE_VERSION],
            ).fetchone()[0],
            "clusters": one("SELECT count(*) FROM repost_clusters").fetchone()[0],
            "clustered": one(
                "SELECT count(*) FROM articles WHERE cluster_id IS NOT NULL"
            ).fetchone()[0],
        }

    def clusters(self, site: str | None = None, since: datetime | None = None) -> list[dict]:
        """Clusters (newest original first), each with its members, original first.

        ``site``: clusters with a member on that site; ``since``: clusters whose original was
        published at or after that time.
        """
        where, params = [], []
        if site:
            where.append(
                "EXISTS (SELECT 1 FROM articles m WHERE m.cluster_id = c.id AND m.site = ?)"
            )
            params.append(site)
        if since:
            where.append("c.first_published >= ?")
            params.append(since.isoformat(timespec="seconds"))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        cursor = self.db.execute(
            f"SELECT * FROM repost_clusters c {clause} "
            "ORDER BY c.first_published IS NULL, c.first_published DESC, c.id",
            params,
        )
        clusters = list(as_dicts(cursor))
        for cluster in clusters:
            cursor = self.db.execute(
                "SELECT a.id, a.url, a.site, a.section, a.title, a.published_at, a.source, "
                "a.view_count, a.first_seen, s.match_id, s.match_jaccard, s.match_containment "
                "FROM articles a LEFT JOIN article_signatures s ON s.article_id = a.id "
                "WHERE a.cluster_id = ? "
                "ORDER BY a.published_at IS NULL, a.published_at, a.first_seen, a.id",
                [cluster["id"]],
            )
            cluster["sites"] = json.loads(cluster["sites"] or "[]")
            cluster["members"] = list(as_dicts(cursor))
        return clusters
