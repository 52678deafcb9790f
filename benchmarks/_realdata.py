"""Where the real documents are, and the fixed split of each real set into two halves.

They are read from ``shared/realdata`` beside the checkout and never copied into the repository.
``OCRFRAME_REALDATA`` overrides the location of the ``realdata`` folder (for a checkout that does
not sit beside ``shared/``). ``REAL_DIR`` is the invoice2data set, kept for older callers.

Every real set is split in two halves by a hash of the file name, never by its content: ``dev``
(what readers are developed and calibrated on) and ``holdout`` (reported, never tuned on). The
rule is the same for every set: the first hex digit of sha256(stem) even is ``dev``, where the
stem is the file name up to its first dot, so ``X.pdf`` and ``X.stripped.pdf`` share a half.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

Half = Literal["dev", "holdout"]


def _find_realdata() -> Path:
    override = os.environ.get("OCRFRAME_REALDATA")
    if override:
        path = Path(override)
        # Older callers pointed the variable at invoice2data itself.
        return path.parent if path.name == "invoice2data" else path
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return here.parents[2] / "shared" / "realdata"


REALDATA: Path = _find_realdata()
REAL_DIR: Path = REALDATA / "invoice2data"


def half_of(name: str) -> Half:
    """The half a real file belongs to, from its file name alone (not its folder).

    >>> half_of("004.jpg") in ("dev", "holdout")
    True
    """
    stem = Path(name).name.split(".", 1)[0]
    digit = int(hashlib.sha256(stem.encode("utf-8")).hexdigest()[0], 16)
    return "dev" if digit % 2 == 0 else "holdout"


def split(paths: list[Path]) -> dict[Half, list[Path]]:
    """Paths grouped by half, each list in the order given."""
    halves: dict[Half, list[Path]] = {"dev": [], "holdout": []}
    for path in paths:
        halves[half_of(path.name)].append(path)
    return halves
