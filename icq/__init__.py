"""icq: the reference implementation of IC-Q and its finite-sample bound.

Learning to Hand Off (Li, Zhang, Zhou, Chen, Yan, 2026): interface-constrained SMDPs, IC-Q,
and Theorem 1. The mathematics is docs/theory.md's; every function names the section it implements.

>>> import icq
>>> m = icq.load(icq.example_path("ring-exact"))
>>> round(float(icq.solve(m.latent).v[0]), 6)
0.847442
"""

from icq.reference.ais import AISModel, ais_model
from icq.reference.chain import stationary
from icq.reference.mixing import mixing_time
from icq.reference.model import END, SMDP, EpochModel, ModelError, example_path, from_dict, load
from icq.reference.solve import Solution, evaluate, solve
from icq.reference.tabular import TrainConfig, TrainResult, train_tabular
from icq.reference.worlds import check_world

__all__ = [
    "AISModel",
    "END",
    "EpochModel",
    "ModelError",
    "SMDP",
    "Solution",
    "TrainConfig",
    "TrainResult",
    "ais_model",
    "evaluate",
    "example_path",
    "from_dict",
    "load",
    "mixing_time",
    "solve",
    "stationary",
    "train_tabular",
    "check_model",
    "check_world",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    # imported on first use, so that `import icq` does not import Hypothesis
    if name == "check_model":
        from icq.reference.properties import check_model

        return check_model
    raise AttributeError(f"module 'icq' has no attribute {name!r}")
