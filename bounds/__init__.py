"""Every term of Theorem 1 with explicit constants, the assumption checks and the audit.

docs/theory.md §3–§6: the AIS constants and the interface gap in four forms (:mod:`.ais`), mixing
(:mod:`.mixing`), A5/A6 and the approximation constants for a feature map (:mod:`.features`),
Theorem 1 (:mod:`.theorem`, one sympy source in :mod:`.symbolic`) and the sample budget
(:mod:`.budget`). :func:`audit` runs all of it on one model.

>>> from icq.bounds import audit
>>> from icq.reference.model import load, example_path
>>> a = audit(load(example_path("author-reviewer-editor")))
>>> g = a.gaps()
>>> g["exact"] <= g["statewise"] <= g["value_aware"] <= g["paper"]
True
"""

from icq.bounds.ais import (
    AisGap,
    ais_gap_exact,
    ais_gap_paper,
    ais_gap_statewise,
    ais_gap_value_aware,
    delta_tv,
    delta_w1,
    policy_loss_bound,
    policy_loss_exact,
    reward_sufficiency,
)
from icq.bounds.assumptions import Check, check_assumptions
from icq.bounds.auditor import Audit, audit, budget
from icq.bounds.budget import Budget, MethodBudget, sample_budget
from icq.bounds.features import (
    approximation_constant,
    epsilon_approx,
    kappa,
    omega,
    projected_fixed_point,
    support,
    tabular_features,
)
from icq.bounds.setting import Setting, prepare
from icq.bounds.terms import duration_discount, model_constants
from icq.bounds.theorem import Theorem1, theorem1
from icq.bounds.validate import InputError, load_features, load_obs_metric
from icq.reference.exact.mixing import MixingProfile, TauMix, mixing_profile

__all__ = [
    "AisGap", "Audit", "Budget", "Check", "InputError", "MixingProfile", "Setting", "TauMix",
    "MethodBudget", "Theorem1", "ais_gap_exact", "ais_gap_paper", "ais_gap_statewise",
    "ais_gap_value_aware",
    "approximation_constant", "audit", "budget", "check_assumptions", "delta_tv", "delta_w1",
    "duration_discount", "epsilon_approx", "kappa", "load_features", "load_obs_metric",
    "mixing_profile", "model_constants", "omega", "policy_loss_bound", "policy_loss_exact",
    "prepare", "projected_fixed_point", "reward_sufficiency", "sample_budget", "support",
    "tabular_features", "theorem1",
]
