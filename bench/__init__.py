"""Benchmarks of jichitai-ops operations against the lab: `python -m bench [name] [options]`."""
