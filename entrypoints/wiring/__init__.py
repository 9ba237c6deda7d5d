"""The factories entrypoints/container.py wires: the only code that chooses adapters."""
