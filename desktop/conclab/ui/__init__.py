"""Floor 3: everything Qt — the window and its parts (shell, plan editor, timeline, inside, lessons, exports)."""
