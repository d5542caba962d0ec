"""Floor 1: pure-Python domain model (plans, traces, metrics, lessons, formats). Standard library only."""
