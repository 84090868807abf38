"""Matplotlib with the Agg backend (no display) and a saver that writes PNGs atomically."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from icq.reference.common.io import atomic_write  # noqa: E402

__all__ = ["plt", "save"]


def save(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG at ``path`` (temporary file + rename) and close it."""
    path = Path(path)
    try:
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
            os.chmod(fh.name, 0o644)
    finally:
        plt.close(fig)
    return path
