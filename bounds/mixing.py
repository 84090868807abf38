"""Mixing of the behaviour chain for the audit (docs/theory.md §4, §9): re-exported from
:mod:`icq.reference.mixing`, the one implementation of d(t) and τ_mix(ε)."""

from icq.reference.mixing import MixingProfile, TauMix, mixing_profile, restart_bound

__all__ = ["MixingProfile", "TauMix", "mixing_profile", "restart_bound"]
