import sys

from pingan_crawler.cli.main import main

sys.exit(main())
