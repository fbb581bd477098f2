"""``python -m benchmarks [--sizes 1,100,1000] ...``: see scripts/bench and README "Benchmarks"."""

from .run import main

main()
