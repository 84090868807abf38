"""icq: the reference implementation of IC-Q and its finite-sample bound.

Learning to Hand Off (Li, Zhang, Zhou, Chen, Yan, 2026): interface-constrained SMDPs, IC-Q,
and Theorem 1. The mathematics is docs/theory.md's; every function names the section it implements.

>>> import icq
>>> m = icq.load(icq.example_path("ring-exact"))
>>> round(float(icq.solve(m).v[0]), 6)
0.847442

The audit, the budgets, Theorem 1 and the reports (``icq.audit``, ``icq.budget``,
``icq.write_report``, ...), the neural learner (``icq.train_neural``) and the property checks
(``icq.check_model``) are imported on first use, so that ``import icq`` stays light (no sympy,
Hypothesis, torch or Ray).
"""

from icq.reference.exact.ais import AISModel, ais_model
from icq.reference.exact.chain import stationary
from icq.reference.exact.mixing import mixing_time
from icq.reference.exact.solve import Solution, evaluate, solve
from icq.reference.learners.tabular import TrainConfig, TrainResult, train_tabular
from icq.reference.learners.worlds import check_world
from icq.reference.model import END, SMDP, EpochModel, ModelError, example_path, from_dict, load

#: names imported on first use (module, attribute): the heavy floors above the reference
_LAZY = {
    "AdaptableConfig": ("icq.reference.learners.adaptable", "AdaptableConfig"),
    "NeuralConfig": ("icq.reference.learners.neural", "NeuralConfig"),
    "Audit": ("icq.bounds", "Audit"),
    "Theorem1": ("icq.bounds", "Theorem1"),
    "audit": ("icq.bounds", "audit"),
    "budget": ("icq.bounds.budgets", "budgets"),
    "check_assumptions": ("icq.bounds", "check_assumptions"),
    "check_model": ("icq.property_tests.check", "check_model"),
    "render_report": ("icq.report", "render_report"),
    "theorem1": ("icq.bounds", "theorem1"),
    "train_adaptable": ("icq.reference.learners.adaptable", "train_adaptable"),
    "train_neural": ("icq.reference.learners.neural", "train_neural"),
    "write_report": ("icq.report", "write_report"),
}

__all__ = [
    "AISModel",
    "AdaptableConfig",
    "Audit",
    "END",
    "EpochModel",
    "ModelError",
    "NeuralConfig",
    "SMDP",
    "Solution",
    "Theorem1",
    "TrainConfig",
    "TrainResult",
    "ais_model",
    "audit",
    "budget",
    "check_assumptions",
    "check_model",
    "check_world",
    "evaluate",
    "example_path",
    "from_dict",
    "load",
    "mixing_time",
    "render_report",
    "solve",
    "stationary",
    "theorem1",
    "train_adaptable",
    "train_neural",
    "train_tabular",
    "write_report",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    # imported on first use, so that `import icq` does not import sympy
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'icq' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
