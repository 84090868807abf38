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

from .ais import (
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
from .assumptions import Check, check_assumptions
from .auditor import Audit, audit, budget
from .budget import Budget, MethodBudget, sample_budget
from .features import (
    approximation_constant,
    epsilon_approx,
    kappa,
    omega,
    projected_fixed_point,
    support,
    tabular_features,
)
from .mixing import MixingProfile, TauMix, mixing_profile
from .report import render_report, write_report
from .setting import Setting, prepare
from .terms import duration_discount, model_constants
from .theorem import Theorem1, theorem1
from .validate import InputError, load_features, load_obs_metric

__all__ = [
    "AisGap", "Audit", "Budget", "Check", "InputError", "MixingProfile", "Setting", "TauMix",
    "MethodBudget", "Theorem1", "ais_gap_exact", "ais_gap_paper", "ais_gap_statewise",
    "ais_gap_value_aware",
    "approximation_constant", "audit", "budget", "check_assumptions", "delta_tv", "delta_w1",
    "duration_discount", "epsilon_approx", "kappa", "load_features", "load_obs_metric",
    "mixing_profile", "model_constants", "omega", "policy_loss_bound", "policy_loss_exact",
    "prepare", "projected_fixed_point", "render_report", "reward_sufficiency", "sample_budget",
    "support", "tabular_features", "theorem1", "write_report",
]
