"""`python -m bench.soak`: a compressed day of traffic and faults, and what it left behind."""
