"""``python -m pingan_crawler.storage``: write schema.sql again, and the table reference of
docs/archive.md in a source checkout, after a migration was added."""

from __future__ import annotations

from pingan_crawler.storage import catalog
from pingan_crawler.storage.schema import SCHEMA_SQL, schema_sql


def main() -> None:
    SCHEMA_SQL.write_text(schema_sql(), "utf-8")
    print(f"wrote {SCHEMA_SQL}")
    docs = catalog.DOCS_PAGE
    if docs.exists():
        docs.write_text(catalog.with_reference(docs.read_text("utf-8")), "utf-8")
        print(f"wrote the table reference in {docs}")


if __name__ == "__main__":
    main()
