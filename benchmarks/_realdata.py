"""Where the real invoices are: ``../shared/realdata/invoice2data`` beside the checkout.

They are read from there and never copied into the repository. ``OCRFRAME_REALDATA`` overrides
the location (for a checkout that does not sit beside ``shared/``).
"""

from __future__ import annotations

import os
from pathlib import Path

REAL_DIR = Path(
    os.environ.get("OCRFRAME_REALDATA")
    or Path(__file__).resolve().parents[2] / "shared" / "realdata" / "invoice2data"
)
