"""Pictures and files of a run: the export dialog, PNG/SVG rendering, document pages, saved runs."""
