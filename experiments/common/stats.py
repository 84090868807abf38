"""Small statistics used by several analyses (pure functions over arrays).

>>> round(pearson([1, 2, 3], [2, 4, 6.5]), 4)
0.9979
>>> fit = loglog_fit([10, 100, 1000], [1.0, 0.1, 0.01])
>>> round(fit.slope, 6), round(fit.r2, 6)
(-1.0, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["pearson", "LogLogFit", "loglog_fit", "mean_se", "wilson_interval"]


def pearson(x, y) -> float:
    """Pearson correlation of two equal-length samples (nan when either is constant).

    Raises
    ------
    ValueError
        If the lengths differ or fewer than two points are given.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"pearson: x and y must be 1-d of equal length, got {x.shape}, {y.shape}")
    if len(x) < 2:
        raise ValueError("pearson: need at least two points")
    dx, dy = x - x.mean(), y - y.mean()
    sx, sy = math.sqrt(float(dx @ dx)), math.sqrt(float(dy @ dy))
    if sx == 0.0 or sy == 0.0:
        return float("nan")
    return float(dx @ dy) / (sx * sy)


@dataclass(frozen=True)
class LogLogFit:
    """Least-squares line ``log10 y = intercept + slope · log10 x``."""

    slope: float
    intercept: float
    r2: float
    n: int
    method: str = "ordinary least squares on (log10 x, log10 y)"

    def predict(self, x) -> np.ndarray:
        return 10.0 ** (self.intercept + self.slope * np.log10(np.asarray(x, dtype=float)))


def loglog_fit(x, y) -> LogLogFit:
    """Fit a power law ``y = c x^slope`` by least squares in log-log coordinates.

    Raises
    ------
    ValueError
        On non-positive values or fewer than two points.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or len(x) < 2:
        raise ValueError("loglog_fit: need two equal-length samples of at least two points")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("loglog_fit: x and y must be positive")
    lx, ly = np.log10(x), np.log10(y)
    slope, intercept = np.polyfit(lx, ly, 1)
    resid = ly - (intercept + slope * lx)
    tot = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / tot if tot > 0 else 1.0
    return LogLogFit(slope=float(slope), intercept=float(intercept), r2=r2, n=len(x))


def mean_se(values) -> tuple[float, float]:
    """Sample mean and its standard error (0 for a single value)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        raise ValueError("mean_se: empty sample")
    se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
    return float(v.mean()), se


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    >>> lo, hi = wilson_interval(50, 100)
    >>> round(lo, 3), round(hi, 3)
    (0.404, 0.596)
    """
    if n <= 0:
        raise ValueError("wilson_interval: n must be positive")
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half
