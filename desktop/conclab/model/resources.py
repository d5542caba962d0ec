"""The one resolver for the app's resource folder (lessons, examples, icons, styles).

Installed wheels carry it as `conclab/resources`; a development checkout has it at the repository's top
level; a frozen bundle has it under its data folder. Nothing reads resources relative to the working
directory.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from conclab.model.errors import ConclabError


class ResourcesMissingError(ConclabError):
    """The resources folder could not be found anywhere it may live."""


def _candidates() -> list[Path]:
    here = Path(__file__).resolve()
    out: list[Path] = []
    override = os.environ.get("CONCLAB_RESOURCES")
    if override:
        out.append(Path(override))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        out.append(Path(frozen) / "conclab" / "resources")
    out.append(here.parents[1] / "resources")  # installed: site-packages/conclab/resources
    out.append(here.parents[3] / "resources")  # checkout: <root>/desktop/conclab/model/ -> <root>/resources
    return out


@cache
def resources_dir() -> Path:
    """The folder holding lessons/, examples/, icons/ and styles/."""
    for c in _candidates():
        if (c / "examples").is_dir() or (c / "lessons").is_dir():
            return c
    tried = ", ".join(str(c) for c in _candidates())
    raise ResourcesMissingError(f"the app's resources folder is missing (looked in: {tried})")


def resource(*parts: str) -> Path:
    """A path inside the resources folder."""
    return resources_dir().joinpath(*parts)
