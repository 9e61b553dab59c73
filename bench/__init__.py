"""Benchmarks: fleet scans and updates behind injected latency, against the alternatives."""
