"""See inside: the event loop, the GIL and the cores at one instant of a run, animated, with its code."""
