"""The numbers the experiments take from :func:`icq.bounds.audit` (docs/theory.md §3–§6).

One adapter, so that every experiment records the same fields with their methods; the
formulas live only in :mod:`icq.bounds`.

>>> from icq.reference.model import load, example_path
>>> g = audit_numbers(load(example_path("ring-exact")))
>>> g["ais_gap"], g["ais_gap_exact"]
(0.0, 0.0)
"""

from __future__ import annotations

from typing import Any

from icq.bounds import audit
from icq.reference.model import EpochModel

__all__ = ["audit_numbers", "GAP_KEYS"]

#: the AIS constants and the four gaps of docs/theory.md §3, as named in ``icq audit --json``
GAP_KEYS = ("epsilon", "delta_tv", "ais_gap", "ais_gap_value_aware", "ais_gap_statewise",
            "ais_gap_exact")


def audit_numbers(model: EpochModel, *, handoffs: int | None = None) -> dict[str, Any]:
    """The audit's scalars: gaps, γ̄, τ_mix, A5/A6, policy loss and Theorem 1 at ``handoffs``."""
    a = audit(model, handoffs=handoffs)
    j = a.to_json()
    f, th = j["features"], j["theorem1"]
    out = {k: j[k] for k in GAP_KEYS}
    out.update({
        "gamma_bar": j["gamma_bar"], "R_bar": j["R_bar"], "L_V_tv": j["L_V_tv"],
        "tau_mix": j["tau_mix"], "policy_loss_exact": j["policy_loss_exact"],
        "policy_loss_exact_initial": j["policy_loss_exact_initial"],
        "policy_loss_bound": j["policy_loss_bound"],
        "omega": f["omega"], "kappa": f["kappa"], "kappa_upper": f["kappa_upper"],
        "a5_holds": f["a5_holds"], "a6_holds": f["a6_holds"],
        "theorem_applicable": th["applicable"], "theorem_reason": th["reason"],
        "theorem_handoffs": th["handoffs"], "theorem_terms": th["terms"],
        "theorem_bound": th["bound"], "theorem_bound_by_gap": th["bound_by_gap"],
        "tau_mix_alpha_T": th["tau_mix_alpha_T"], "alpha_T": th["alpha_T"],
        "source": "icq.bounds.audit (features: tabular one-hot; IPM: total variation)",
    })
    return out
