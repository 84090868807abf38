import sys

from icq.cli import main

sys.exit(main())
