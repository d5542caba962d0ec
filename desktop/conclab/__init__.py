"""Concurrency Lab: see, by measurement, how the same work runs under asyncio, threads and processes."""

__version__ = "0.1.0"
APP_ID = "io.github.conclab.ConcurrencyLab"
APP_NAME = "Concurrency Lab"
