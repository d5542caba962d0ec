"""The fonts the app draws with: DejaVu Sans and DejaVu Sans Mono, shipped in resources/fonts.

Loaded into Qt's font database at start-up, so text never depends on what the machine has installed
(a machine without any monospace font would otherwise show plan text in a proportional one).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from conclab.model.resources import resource

UI_FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"
_loaded: list[int] = []


def install_fonts() -> None:
    """Add the shipped fonts (once) and make the sans face the application's default."""
    if not _loaded:
        folder = resource("fonts")
        for path in sorted(folder.glob("*.ttf")):
            _loaded.append(QFontDatabase.addApplicationFont(str(path)))
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication) and UI_FAMILY in QFontDatabase.families():
        font = QGuiApplication.font()
        font.setFamily(UI_FAMILY)
        QGuiApplication.setFont(font)


def monospace_font(point_size: float | None = None) -> QFont:
    """The shipped monospace face (a fixed-pitch font whatever the machine has)."""
    install_fonts()
    font = QFont(MONO_FAMILY)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font
