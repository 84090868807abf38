"""A small counter-free PRNG (xoshiro256+ seeded by splitmix64) shared by the compiled learner
and the pure-Python decentralized runtime, so that both can be run on the *same* random stream
and compared bit for bit, and so that a checkpoint can store the generator state (4 words).

>>> r = Xoshiro(7)
>>> u = r.random()
>>> 0.0 <= u < 1.0
True
>>> s = r.state.copy(); a = r.random(); r.state[:] = s; a == r.random()
True
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["Xoshiro", "cdf", "draw_index", "next_double", "seed_state"]

_M64 = (1 << 64) - 1


def seed_state(seed: int) -> np.ndarray:
    """The 4-word xoshiro state from an integer seed, by splitmix64."""
    x = seed & _M64
    out = np.empty(4, dtype=np.uint64)
    for i in range(4):
        x = (x + 0x9E3779B97F4A7C15) & _M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        out[i] = z ^ (z >> 31)
    return out


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def next_double(s):
    """One uniform double in [0, 1) from state ``s`` (uint64[4], updated in place)."""
    result = s[0] + s[3]
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return float(result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


class Xoshiro:
    """Python handle on the generator (same stream as the compiled loop)."""

    def __init__(self, seed: int | None = None, state: np.ndarray | None = None):
        self.state = seed_state(seed or 0) if state is None else np.array(state, dtype=np.uint64)

    def random(self) -> float:
        return next_double(self.state)


def cdf(probs: np.ndarray | list[float]) -> np.ndarray:
    """Cumulative sums along the last axis with the last entry set to exactly 1, so that a
    uniform ``u ∈ [0, 1)`` always falls in a row (rows of a law; a row of zeros, an unused
    kernel column, draws its last index).

    >>> cdf([0.25, 0.25, 0.5]).tolist()
    [0.25, 0.5, 1.0]
    """
    c = np.cumsum(np.asarray(probs, dtype=float), axis=-1)
    c[..., -1] = 1.0
    return c


def draw_index(row_cdf: np.ndarray, u: float) -> int:
    """The index ``i`` with ``row_cdf[i-1] ≤ u < row_cdf[i]`` (inverse-CDF draw of one law;
    never an index of probability 0, never past the end).

    >>> draw_index(cdf([0.5, 0.0, 0.5]), 0.5)
    2
    """
    return min(int(np.searchsorted(row_cdf, u, side="right")), len(row_cdf) - 1)
