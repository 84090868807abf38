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

from importlib import import_module

#: the entry points, each imported from its module on first use: importing one module of this
#: floor (``icq.bounds.constants`` for the command line's help) loads that module and what it
#: imports, not the whole floor
_EXPORTS = {"Check": "assumptions", "check_assumptions": "assumptions", "Audit": "auditor",
            "audit": "auditor", "Budget": "budget", "MethodBudget": "budget",
            "sample_budget": "budget", "theorem_budgets": "budget", "Setting": "setting",
            "prepare": "setting", "Theorem1": "theorem", "theorem1": "theorem"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'icq.bounds' has no attribute {name!r}")
    value = getattr(import_module(f"icq.bounds.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
