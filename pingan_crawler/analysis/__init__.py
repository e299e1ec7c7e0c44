"""Analyst access over an :class:`~pingan_crawler.storage.Archive`: search, export, reparse,
verify, WARC and Datasette. Each module reads (or rewrites) the archive through its connection;
the schema itself stays in pingan_crawler/storage/."""
