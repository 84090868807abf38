"""The Monte-Carlo certificate of one learner specification, as every budget runs it
(docs/theory.md §8): the seed ranges, the tracked runs of any :class:`LearnerSpec` (tabular
through :func:`icq.reference.learners.montecarlo.run_seeds`, linear and neural through
:func:`icq.reference.learners.neural.batched.run_network_seeds`), ``--horizon auto`` and the
certified row with its claim and ``train_command``. :mod:`icq.bounds.budgets` puts it beside
the theorem rows and :mod:`icq.bounds.tune` chooses among learners with it.

Seeds. Certificates run the seeds ``CERTIFICATE_SEED_BASE + i`` (:data:`CERTIFICATE_SEED_BASE`
= 2³²), a range ``icq train`` never uses by default (``--seed 0``), so a user's default training
run is a fresh run; ``icq budget --tune`` and ``--horizon auto`` select on the disjoint range
``SELECTION_SEED_BASE + i``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from tqdm import tqdm

from icq.bounds.budget import MethodBudget
from icq.bounds.certificate import certificate, seeds_needed
from icq.bounds.constants import (
    AUTO_CAP,
    AUTO_START,
    CERTIFICATE_SEED_BASE,
    SELECTION_SEED_BASE,
)
from icq.bounds.validate import load_features
from icq.reference.learners.montecarlo import ErrorSpec, MonteCarloResult, run_seeds
from icq.reference.learners.spec import LearnerSpec
from icq.reference.model import EpochModel

__all__ = ["AUTO_CAP", "AUTO_START", "CERTIFICATE_SEED_BASE", "DEFAULT_LEARNER",
           "SELECTION_SEED_BASE", "LearnerNotRunnable", "auto_horizon", "certificate_seeds",
           "certify", "check_disjoint", "run_spec", "seed_words", "train_command"]

#: the learner ``icq budget`` certifies without learner options (``icq train``'s default)
DEFAULT_LEARNER = LearnerSpec()


def certificate_seeds(n: int, base: int = CERTIFICATE_SEED_BASE) -> np.ndarray:
    """The seeds ``base, base + 1, …, base + n − 1``."""
    return base + np.arange(int(n), dtype=np.int64)


def seed_words(seeds: np.ndarray) -> str:
    """The seed range of a run, relative to its base, as a claim states it."""
    s = np.asarray(seeds, dtype=np.int64)
    for base, name in ((SELECTION_SEED_BASE, "2³² + 2³¹"), (CERTIFICATE_SEED_BASE, "2³²")):
        if s.size and s.min() >= base:
            return f"seeds {name} + {int(s.min()) - base}…{int(s.max()) - base}"
    return f"seeds {int(s.min())}…{int(s.max())}" if s.size else "no seeds"


def train_command(file: str, spec: LearnerSpec, handoffs: int, seed: int) -> list[str]:
    """The exact ``icq train`` argument list that trains ``spec`` for ``handoffs`` updates with
    ``seed`` (``--seed`` its last two items)."""
    return ["icq", "train", file, *spec.argv(), "--handoffs", str(int(handoffs)),
            "--seed", str(int(seed))]


class LearnerNotRunnable(ValueError):
    """A spec the Monte-Carlo runs of this installation cannot run (the message names the
    option)."""


def run_spec(model: EpochModel, spec: LearnerSpec, targets: Any, *, horizon: int,
             seeds: np.ndarray, errspec: ErrorSpec, backend: str = "local",
             workers: int | None = None, progress: bool = False, checkpoint: Any = None,
             resume: bool = False) -> MonteCarloResult:
    """Tracked runs of ``spec``: tabular through
    :func:`icq.reference.learners.montecarlo.run_seeds` (``checkpoint``, ``resume``: its
    resumable runs), linear and neural through
    :func:`icq.reference.learners.neural.batched.run_network_seeds` (imported when needed)."""
    if spec.representation == "tabular":
        return run_seeds(model, spec, targets, horizon=horizon, seeds=seeds, spec=errspec,
                         backend=backend, workers=workers, progress=progress,
                         checkpoint=checkpoint, resume=resume)
    if checkpoint is not None:
        raise LearnerNotRunnable("checkpoint: only the tabular certificate's runs resume")
    try:
        # torch: the [neural] extra, only for the network learners
        from icq.reference.learners.neural.batched import run_network_seeds
    except ImportError as exc:
        raise LearnerNotRunnable(f"learner: {spec.representation} certificates need "
                                 f"icq.reference.learners.neural.batched ({exc})") from None

    features = None
    if spec.representation == "linear":
        features = load_features(spec.features, model)
    return run_network_seeds(model, spec, targets, horizon=horizon, seeds=seeds,
                             error=errspec.error, norm=errspec.norm, spec=errspec,
                             progress=progress, features=features)


def check_disjoint(selection: np.ndarray, certification: np.ndarray) -> None:
    """ValueError when a certification seed was also a selection seed: a certificate must come
    from runs that no choice (of a learner, ``--tune``, or of a horizon, ``--horizon auto``)
    has seen (docs/theory.md §8, "Tuning")."""
    shared = np.intersect1d(np.asarray(selection), np.asarray(certification))
    if shared.size:
        raise ValueError(f"seeds: {shared.size} certification seeds were also selection seeds "
                         f"(first {int(shared[0])}); the certificate needs fresh seeds")


def auto_horizon(model: EpochModel, spec: LearnerSpec, target: float, *, seeds: np.ndarray,
                 errspec: ErrorSpec, quantile: float, confidence: float,
                 horizon_cap: int = AUTO_CAP, backend: str = "local",
                 workers: int | None = None, progress: bool = False
                 ) -> tuple[list[int], bool]:
    """``--horizon auto`` (docs/theory.md §8): the horizons ``AUTO_START·2^i`` (capped at
    ``horizon_cap``) tried on the selection runs ``seeds`` until the certified T of those runs
    lies in the first half of the horizon, and whether it did (False: the cap came first); the
    last horizon is the chosen one. A tqdm bar counts the doublings when ``progress``."""
    h = min(AUTO_START, horizon_cap)
    bar = None
    if progress:
        bar = tqdm(total=max(1, math.ceil(math.log2(max(horizon_cap, h) / h)) + 1),
                   desc="horizon", unit="doubling", leave=False)
    tried = []
    while True:
        mc = run_spec(model, spec, [target], horizon=h, seeds=seeds, errspec=errspec,
                      backend=backend, workers=workers)
        T = certificate(mc, quantile=quantile, confidence=confidence).handoffs  # noqa: N806
        tried.append(h)
        if bar is not None:
            bar.update(1)
        settled = T is not None and 2 * T <= h
        if settled or h >= horizon_cap:
            break
        h = min(2 * h, horizon_cap)
    if bar is not None:
        bar.close()
    return tried, settled


def certify(model: EpochModel, spec: LearnerSpec, target: float, *, seeds: np.ndarray,
            horizon: int | str, errspec: ErrorSpec, quantile: float, confidence: float,
            horizon_cap: int = AUTO_CAP, selection_seeds: int = 59, backend: str = "local",
            workers: int | None = None, model_name: str = "the model",
            model_file: str = "MODEL.json", mean_duration: float | None = None,
            T_max: int | None = None, method: str | None = None,  # noqa: N803
            note: str = "", progress: bool = False, checkpoint: Any = None,
            resume: bool = False) -> tuple[MethodBudget, MonteCarloResult]:
    """The Monte-Carlo certificate of ``spec`` at ``target`` on ``seeds`` (docs/theory.md §8).

    ``horizon="auto"``: the horizon is chosen by :func:`auto_horizon` on ``selection_seeds``
    separate runs (seeds ``SELECTION_SEED_BASE + i``, at least as many as the quantile and
    confidence need), then the certificate is computed at that horizon on ``seeds``, which took
    no part in the choice; the claim states the final horizon. ``note`` is appended to the
    claim. The row's details carry the spec, the seed range and ``train_command`` (with the
    first seed past the certificate's, a fresh one). ``checkpoint``, ``resume``: the
    certification runs survive a kill (:func:`run_spec`).
    """
    s = np.asarray(seeds, dtype=np.int64)
    words = (f" The {s.size} runs used {seed_words(s)}, a range icq train never uses by "
             "default (--seed 0).")
    tried = None
    if horizon == "auto":
        sel = certificate_seeds(max(selection_seeds, seeds_needed(quantile, confidence)),
                                SELECTION_SEED_BASE)
        check_disjoint(sel, s)
        tried, settled = auto_horizon(model, spec, target, seeds=sel, errspec=errspec,
                             quantile=quantile, confidence=confidence, horizon_cap=horizon_cap,
                             backend=backend, workers=workers, progress=progress)
        horizon = tried[-1]
        words += (f" Horizon {horizon:,}, chosen by doubling from {tried[0]:,} (cap "
                  f"{horizon_cap:,}) on {sel.size} separate runs ({seed_words(sel)}) until "
                  "their certified T lay in its first half" + ("" if settled else
                                                               ": the cap was reached first")
                  + "; the certification runs took no part in the choice.")
    mc = run_spec(model, spec, [target], horizon=int(horizon), seeds=s, errspec=errspec,
                  backend=backend, workers=workers, progress=progress, checkpoint=checkpoint,
                  resume=resume)
    row = certificate(mc, quantile=quantile, confidence=confidence, model_name=model_name,
                      mean_duration=mean_duration, T_max=T_max)
    claim = row.details["claim"] + words + (f" {note}" if note else "")
    details = {**row.details, "claim": claim, "learner": spec.to_json(),
               "seed_first": int(s.min()), "seed_last": int(s.max()), "horizons_tried": tried}
    if row.handoffs is not None:
        details["train_command"] = train_command(model_file, spec, row.handoffs,
                                                 int(s.max()) + 1)
    return replace(row, method=method or row.method, covers=claim, details=details), mc
