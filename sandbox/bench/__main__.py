"""`python -m sandbox.bench bot-host|floor-host`: a child process of the benchmark."""

import sys

from sandbox.bench.hosts import child_main

child_main(sys.argv[1])
