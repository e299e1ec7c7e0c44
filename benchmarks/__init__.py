"""Benchmarks: scripts that print figures, run on demand, never as tests."""
