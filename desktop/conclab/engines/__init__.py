"""Floor 2: runs a plan under a concurrency model and records a trace. Standard library only, never Qt."""
