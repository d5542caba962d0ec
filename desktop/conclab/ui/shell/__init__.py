"""The window's shell: main window, run controls, settings, the app's boot and its event loop."""
