"""Common families of primitive models: :func:`geometric_handoff`, whose agents hand off with
a constant per-step probability (an example is in :mod:`icq.reference.model.primitive`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from icq.reference.model.primitive.model import PrimitiveICSMDP

__all__ = ["geometric_handoff"]


def geometric_handoff(p: float | Sequence[float], T_max: int, **fields: Any  # noqa: N803
                      ) -> PrimitiveICSMDP:
    """A primitive model whose agents hand off with a constant per-step probability ``p``.

    ``β_i ≡ p_i`` (docs/theory.md §1) with forced termination at ``T_max``, so every invocation of
    agent ``i`` has the truncated geometric duration ``P(τ = t) = p_i (1 − p_i)^{t−1}`` for
    ``t < T_max`` and ``P(τ = T_max) = (1 − p_i)^{T_max−1}``, whatever the path, and
    ``E[γ^τ] = p γ (1 − q^{T_max−1})/(1 − q) + q^{T_max−1} γ`` with ``q = (1 − p) γ``.

    Parameters
    ----------
    p : one probability in ``[0, 1]`` for all agents, or one per agent
    T_max : forced termination time
    **fields : every other field of :class:`PrimitiveICSMDP` except ``termination``
        (``initial`` fixes the shapes ``|S|``, ``|Z|``, ``|X_i|``)

    Returns
    -------
    PrimitiveICSMDP
    """
    if "termination" in fields:
        raise ValueError("termination: geometric_handoff sets it to p; do not pass it")
    if "initial" not in fields:
        raise ValueError("initial: required (its shape (N, |S|, |Z|, |X_1|, ..., |X_N|) "
                         "fixes the termination arrays)")
    shape = np.shape(fields["initial"])
    if len(shape) < 4:
        raise ValueError(f"initial: shape {shape} is not (N, |S|, |Z|, |X_1|, ..., |X_N|)")
    n = shape[0]
    ps = np.atleast_1d(np.asarray(p, dtype=float))
    if ps.shape == (1,):
        ps = np.repeat(ps, n)
    if ps.shape != (n,) or not (np.isfinite(ps) & (ps >= 0) & (ps <= 1)).all():
        raise ValueError(f"p: {p!r} must be one probability in [0, 1] or one per agent "
                         f"(N = {n})")
    term = tuple(np.full((shape[1], shape[2], shape[3 + i]), ps[i]) for i in range(n))
    return PrimitiveICSMDP(termination=term, T_max=T_max, **fields)
