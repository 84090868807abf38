"""The finite SMDP in sufficient statistics (docs/theory.md §1): :class:`SMDP`, the Bellman
operator and greedy policies over state–successor pairs; the latent and the AIS-induced models
are both one.

>>> import numpy as np, scipy.sparse as sp
>>> m = SMDP(np.array([0, 2]), np.array([1, 2]), np.array([0.0, 1.0]),
...          sp.csr_matrix(np.array([[0.5], [0.0]])))
>>> m.n, m.n_pairs, m.gamma_bar
(1, 2, 0.5)
>>> m.bellman(np.zeros(2))
array([0., 1.])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["SMDP"]


@dataclass(frozen=True, eq=False)
class SMDP:
    """A finite SMDP given by its sufficient statistics (docs/theory.md §1).

    Rows are state–successor pairs: the pairs of state ``x`` are ``ptr[x]:ptr[x+1]``.

    Attributes
    ----------
    ptr : (n+1,) int64
    succ : (n_pairs,) int64, successor index of each pair (``N`` = END)
    reward : (n_pairs,) float64, ``r̄``
    K : (n_pairs, n) CSR float64, the discounted continuation kernel
    """

    ptr: np.ndarray
    succ: np.ndarray
    reward: np.ndarray
    K: sp.csr_matrix

    @property
    def n(self) -> int:
        return len(self.ptr) - 1

    @property
    def n_pairs(self) -> int:
        return len(self.succ)

    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the state of each pair."""
        return np.repeat(np.arange(self.n), np.diff(self.ptr))

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄ = max_pairs Σ_{x'} K`` (docs/theory.md §1)."""
        return float(np.asarray(self.K.sum(axis=1)).max(initial=0.0))

    def vmax(self, q: np.ndarray) -> np.ndarray:
        """``V(x) = max_{j ∈ J(x)} q(x, j)`` for ``q`` of shape (n_pairs,) or (n_pairs, B)."""
        return np.maximum.reduceat(q, self.ptr[:-1], axis=0)

    def argmax(self, q: np.ndarray) -> np.ndarray:
        """(n,) the greedy pair index of each state (first maximiser, ties to the lowest)."""
        v = self.vmax(q)
        is_max = q >= np.repeat(v, np.diff(self.ptr))
        idx = np.flatnonzero(is_max)
        first = np.searchsorted(idx, self.ptr[:-1])
        return idx[first]

    def bellman(self, q: np.ndarray) -> np.ndarray:
        """Bellman optimality operator ``(Tq)(x,j) = r̄ + Σ K(x'|x,j) max_{j'} q(x',j')``."""
        return self.reward + self.K @ self.vmax(q)

    def policy_matrix(self, pi: np.ndarray) -> sp.csr_matrix:
        """(n, n_pairs) CSR, row ``x`` holds ``π(j|x)`` on the pairs of ``x``."""
        return sp.csr_matrix((np.asarray(pi, dtype=float), np.arange(self.n_pairs), self.ptr),
                             shape=(self.n, self.n_pairs))
