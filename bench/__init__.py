"""Benchmarks: each module prints a table comparing against a baseline measured in the same run."""
