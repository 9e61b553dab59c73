"""Test support shared by the tests, the demo and the benchmarks: the stricter local EC2 on
127.0.0.1, a latency and fault proxy in front of it, and helpers that seed and read it back.

Never shipped with sgupdater; imported from the repository root.
"""
