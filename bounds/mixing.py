"""Mixing of the behaviour chain for the audit (docs/theory.md §4, §6, §9): re-exported from
:mod:`icq.reference.mixing`, the one implementation of d(t), d_ν₀(t) and τ_mix(ε)."""

from icq.reference.mixing import (
    MixingProfile,
    TauMix,
    mixing_profile,
    restart_bound,
    start_distances,
)

__all__ = ["MixingProfile", "TauMix", "mixing_profile", "restart_bound", "start_distances"]
