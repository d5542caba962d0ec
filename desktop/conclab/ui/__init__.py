"""Floor 3: everything Qt — widgets, the qasync loop, pyqtgraph views, the run controller and the bridge."""
