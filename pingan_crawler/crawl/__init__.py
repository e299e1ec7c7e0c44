"""Running crawls: what each crawl is asked to do, how it is run, and what it did.

``args.py`` holds the spiders' arguments (frozen dataclasses, parsed once at the door: the CLI
or ``scrapy crawl -a``), ``glue.py`` the few facts read off Scrapy's objects (public URLs,
headers, the first requested URL, close reasons), ``run.py`` runs a set of crawls in one
process (locks, log file, settings) and ``summary.py`` turns their stats into summary lines
and exit codes. The CLI only handles arguments and prints; ``scrapy crawl`` goes through the
same arguments and glue.
"""
