"""Ratio benchmarks of the measuring core against plain scripts; `python -m benchmarks` runs them all."""
