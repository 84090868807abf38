"""Every term of Theorem 1 with explicit constants, the assumption checks, the budgets and the
audit (floor 4: above the learners, below the checks and the ``icq`` API).

docs/theory.md §3–§6, §8: the AIS constants and the interface gap in four forms
(:mod:`icq.bounds.ais`), A5/A6 and the approximation constants for a feature map
(:mod:`icq.bounds.features`), Theorem 1 (:mod:`icq.bounds.theorem`, one sympy source in
:mod:`icq.bounds.symbolic`), the budgets (:mod:`icq.bounds.budget`,
:mod:`icq.bounds.certificate`, :mod:`icq.bounds.residual`, :mod:`icq.bounds.a6free`), the
what-if search and the episode bootstrap. :func:`audit` runs the audit on one model; the package
exports the entry points, the modules the rest. The Theorem 1 budget has one function,
:func:`icq.bounds.budget.theorem_budgets` (what ``icq budget`` and :func:`icq.budget` print); no
name here shadows the module :mod:`icq.bounds.budget`.

>>> from icq.bounds import audit
>>> from icq.reference.model import load, example_path
>>> a = audit(load(example_path("author-reviewer-editor")))
>>> g = a.gaps()
>>> g["exact"] <= g["statewise"] <= g["value_aware"] <= g["paper"]
True
"""

from icq.bounds.assumptions import Check, check_assumptions
from icq.bounds.auditor import Audit, audit
from icq.bounds.budget import Budget, MethodBudget, sample_budget, theorem_budgets
from icq.bounds.setting import Setting, prepare
from icq.bounds.theorem import Theorem1, theorem1

__all__ = ["Audit", "Budget", "Check", "MethodBudget", "Setting", "Theorem1", "audit",
           "check_assumptions", "prepare", "sample_budget", "theorem1", "theorem_budgets"]
