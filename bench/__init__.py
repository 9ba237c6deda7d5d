"""Benchmarks: `python -m bench` measures the hit path against its ceiling on loopback."""
