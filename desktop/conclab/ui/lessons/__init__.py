"""Guided comparisons in the window: the lessons dock, the lessons list and one lesson's page."""
