"""The ``pingan`` command line: one module per group of subcommands, assembled in main.py."""

from pingan_crawler.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
