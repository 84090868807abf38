"""icq: the reference implementation of IC-Q and its finite-sample bound.

Learning to Hand Off (Li, Zhang, Zhou, Chen, Yan, 2026): interface-constrained SMDPs, IC-Q,
and Theorem 1. The mathematics is docs/theory.md's; every function names the section it implements.

>>> import icq
>>> m = icq.load(icq.example_path("ring-exact"))
>>> round(float(icq.solve(m).v[0]), 6)
0.847442

Every name (the model and its exact solution, the learners, the audit, the budgets, Theorem 1,
the reports, the property checks) is imported on first use, so that ``import icq`` loads none of
the floors (no numba, scipy, sympy, Hypothesis, torch or Ray) and ``import
icq.reference.common.io`` loads floor 0 only.
"""

from importlib import import_module

#: every public name, imported on first use (module, attribute): ``import icq`` loads no floor,
#: and ``import icq.reference.common.io`` (a subpackage of ``icq``) loads floor 0 only
#: (tests/test_floors.py checks both in a fresh interpreter)
_LAZY = {
    "AISModel": ("icq.reference.exact.induced", "AISModel"),
    "END": ("icq.reference.model", "END"),
    "EpochModel": ("icq.reference.model", "EpochModel"),
    "ModelError": ("icq.reference.model", "ModelError"),
    "SMDP": ("icq.reference.model", "SMDP"),
    "Solution": ("icq.reference.exact.solve", "Solution"),
    "TrainConfig": ("icq.reference.learners.tabular", "TrainConfig"),
    "TrainResult": ("icq.reference.learners.tabular", "TrainResult"),
    "ais_model": ("icq.reference.exact.induced", "ais_model"),
    "check_world": ("icq.reference.learners.worlds", "check_world"),
    "evaluate": ("icq.reference.exact.solve", "evaluate"),
    "example_path": ("icq.reference.model", "example_path"),
    "from_dict": ("icq.reference.model", "from_dict"),
    "load": ("icq.reference.model", "load"),
    "mixing_time": ("icq.reference.exact.mixing", "mixing_time"),
    "solve": ("icq.reference.exact.solve", "solve"),
    "stationary": ("icq.reference.exact.chain", "stationary"),
    "train_tabular": ("icq.reference.learners.tabular", "train_tabular"),
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
    # imported on first use, so that `import icq` and the floors below load only what they use
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'icq' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
