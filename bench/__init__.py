"""The benchmark of issue 7: `make bench` (python -m bench.run)."""
