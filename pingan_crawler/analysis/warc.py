"""Rebuild a WARC 1.1 file from the archive, for tools that speak WARC (pywb, replayweb.page).

The archive keeps each page body as Scrapy handed it over, after HTTP decompression, while the
stored headers still say how it travelled. So the rebuilt response records drop
Content-Encoding and Transfer-Encoding and carry the true Content-Length; a warcinfo record
says all this. A body already written under another URL becomes a revisit record pointing at
the first (WARC 1.1 "identical payload digest" profile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pingan_crawler.analysis.filters import Filters
from pingan_crawler.storage import Archive

# Headers that described the transfer, not the stored bytes.
DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class WarcReport:
    responses: int = 0
    revisits: int = 0
    bytes: int = 0


def warc_date(iso: str) -> str:
    """A stored fetch time (ISO 8601 with offset) as a WARC-Date (UTC, ``Z``)."""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def http_headers(status: int, headers: dict[str, list[str]], length: int) -> StatusAndHeaders:
    """The stored response headers, made true for the decoded body."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    pairs = []
    for name, values in headers.items():
        if name.lower() in DROPPED_HEADERS:
            continue
        for value in values if isinstance(values, list) else [values]:
            pairs.append((name, str(value)))
    pairs.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{status} {reason}".strip(), pairs, protocol="HTTP/1.1")


def write_warc(
    archive: Archive, out: BinaryIO, filters: Filters | None = None, source: str = ""
) -> WarcReport:
    """Write every matching snapshot (``--since``/``--until`` bound its fetch time)."""
    report = WarcReport()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            None,
            {
                "software": f"pingan-crawler {version('pingan-crawler')} (pingan warc)",
                "format": "WARC File Format 1.1",
                "description": (
                    f"Rebuilt from the SQLite archive {source} rather than captured live. Bodies "
                    "are stored after HTTP decompression, so Content-Encoding and "
                    "Transfer-Encoding were removed and Content-Length set to the stored size. "
                    "Identical payloads under other URLs are revisit records."
                ),
                "isPartOf": source,
            },
        )
    )
    first_seen: dict[str, tuple[str, str, str, str]] = {}  # sha256 → uri, date, id, digest
    for url, fetched_at, status, headers, digest, size in archive.snapshots.fetches(filters):
        date = warc_date(fetched_at)
        if digest in first_seen:
            uri, refers_date, refers_id, payload_digest = first_seen[digest]
            record = writer.create_revisit_record(
                url,
                payload_digest,
                uri,
                refers_date,
                http_headers=http_headers(status, headers, size),
                warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": refers_id},
            )
            writer.write_record(record)
            report.revisits += 1
            continue
        body = archive.snapshots.body(digest)
        record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers(status, headers, len(body)),
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_record(record)
        first_seen[digest] = (
            url,
            date,
            record.rec_headers.get_header("WARC-Record-ID"),
            record.rec_headers.get_header("WARC-Payload-Digest"),
        )
        report.responses += 1
        report.bytes += len(body)
    return report
