"""Hypothesis strategies for IC-SMDPs, policies, feature maps, perturbations (docs/theory.md §1–§5).

Every strategy here is *valid by construction*: it draws raw numbers and normalises them into
a model that FORMAT.md's loader accepts, so nothing is ever filtered and shrinking moves towards
simpler models (fewer agents and states, no aliasing, τ ≡ 1, uniform laws) rather than towards
rejected ones. Users import them to test their own code on random IC-SMDPs, or to jitter their
own model::

    from hypothesis import given
    from icq.property_tests.strategies import epoch_models, perturbations

    @given(epoch_models(aliasing=0.0))        # exact observations
    def test_mine(model): ...

The random epoch model (:func:`epoch_documents`, :func:`epoch_models`):

- ``N`` agents ``a0, a1, …``, each with ``states_per_agent`` latent epoch states;
- observation aliasing: each further state of an agent reuses one of the agent's existing
  observation labels with probability ``aliasing`` (0: every state has its own label, the exact
  case ε = δ = 0; 1: as much aliasing as the draw allows);
- admissible sets ``J(ô)``: a subset of the other agents and ``END`` with between
  ``min_successors`` (default 1) and ``max_successors`` elements (as many as there are when
  fewer); they depend on the observation only (Assumption 1(iii)) by construction;
- outcomes of a pair ``(y, j)`` with ``j`` an agent: up to ``max_next`` next states of agent ``j``
  with normalised random weights, plus an episode end with probability ``p_terminal``; with
  ``j = END`` only episode ends;
- durations: for each target (next state or episode end) a geometric law with handoff
  probability ``p`` per primitive step, truncated (forced) at ``T_max``
  (``P(τ = t) = p(1−p)^{t−1}`` for ``t < T_max``, the rest at ``T_max``); ``p`` varies with the
  target by ``duration_correlation·(u − ½)``, so that γ^τ is correlated with the next state;
- rewards ``R = c · (1 − γ^τ)/(1 − γ)`` (a constant per-step reward ``c`` over the invocation),
  ``c = reward_scale · (b(y,j) + 2u − 1)/2`` with ``b`` uniform on [−1, 1] per pair and ``u``
  uniform on [0, 1] per target (the same ``u`` as the target's duration law);
- ν₀ with full support (normalised random weights) or concentrated on one state; π_b uniform
  or random (normalised).

Also: random decentralized policies, value vectors and feature maps of a model, perturbations of
a user's model (:func:`perturbations`), random primitive IC-SMDPs (:func:`primitive_models`),
and the project's Hypothesis profiles (:func:`load_profile`).

>>> from hypothesis import find
>>> m = find(epoch_models(agents=2), lambda m: m.n_obs < m.n_states)  # some aliasing
>>> m.n_obs < m.n_states
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from icq.reference.model import END, FORMAT, EpochModel, from_arrays, from_dict
from icq.reference.model.primitive import PrimitiveICSMDP

__all__ = [
    "PROFILES",
    "decentralized_policies",
    "epoch_documents",
    "epoch_models",
    "feature_maps",
    "in_ci",
    "load_profile",
    "perturbations",
    "primitive_models",
    "q_vectors",
    "rebuild",
    "register_profiles",
    "truncated_geometric",
]

#: the floor added to every random weight before normalising: probabilities stay > 0 and
#: bounded away from 0, so no outcome has to be dropped and no law is degenerate by accident
WEIGHT_FLOOR = 0.05

# ---------------------------------------------------------------------------------------
# Hypothesis profiles (dev, ci, thorough)
# ---------------------------------------------------------------------------------------

#: the project's Hypothesis profiles; ``ci`` is deterministic and bounded in time
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 10, "derandomize": False, "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow]},
    "ci": {"max_examples": 30, "derandomize": True, "deadline": None, "database": None,
           "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]},
    "thorough": {"max_examples": 300, "derandomize": False, "deadline": None,
                 "suppress_health_check": [HealthCheck.too_slow]},
}


def register_profiles() -> None:
    """Register ``dev``, ``ci`` and ``thorough`` with Hypothesis (replacing its built-in ``ci``)."""
    for name, kwargs in PROFILES.items():
        settings.register_profile(name, **kwargs)


def load_profile(name: str | None = None) -> str:
    """Register the profiles and load one: ``name``, else ``$HYPOTHESIS_PROFILE``, else ``ci``
    when a CI environment is detected, else ``dev``. Returns the name loaded.

    Hypothesis loads its *own* ``ci`` profile at import when ``CI`` is set; registering ours
    under the same name and loading it afterwards makes ours win (fixed ``max_examples``,
    ``derandomize=True``, ``deadline=None``).

    >>> register_profiles()
    >>> ci = settings.get_profile("ci")
    >>> ci.derandomize, ci.deadline, ci.max_examples
    (True, None, 30)
    """
    register_profiles()
    if name is None:
        name = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev")
    if name not in PROFILES:
        raise ValueError(f"HYPOTHESIS_PROFILE: unknown profile {name!r} "
                         f"(expected one of {', '.join(PROFILES)})")
    settings.load_profile(name)
    return name


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a CI environment is detected, as Hypothesis documents it: the ``CI``
    environment variable is set (to any value, even empty).

    >>> in_ci({"CI": "true"}), in_ci({"CI": ""}), in_ci({"PATH": "/bin"})
    (True, True, False)
    """
    return "CI" in (os.environ if environ is None else environ)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _s(x: Any) -> SearchStrategy:
    """A knob is a fixed value or a strategy."""
    return x if isinstance(x, SearchStrategy) else st.just(x)


_unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
_sym = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)

# default knobs (module-level, so that signatures show them and they are built once)
DEFAULT_AGENTS = st.integers(1, 3)
DEFAULT_STATES_PER_AGENT = st.integers(1, 3)
DEFAULT_P_HANDOFF = st.floats(0.3, 1.0)
DEFAULT_T_MAX = st.integers(1, 4)
DEFAULT_P_TERMINAL = st.floats(0.05, 0.4)
DEFAULT_GAMMA = st.floats(0.5, 0.95)
DEFAULT_PERTURBATION_SCALE = st.floats(0.0, 0.5)
_booleans = st.booleans()


def _normalise(weights: list[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float) + WEIGHT_FLOOR
    return w / w.sum()


def truncated_geometric(p: float, T_max: int) -> np.ndarray:  # noqa: N803
    """(T_max,) the law of τ: ``P(τ=t) = p(1−p)^{t−1}`` for ``t < T_max``, the rest at ``T_max``.

    >>> truncated_geometric(0.5, 3).tolist()
    [0.5, 0.25, 0.25]
    >>> truncated_geometric(1.0, 3).tolist()
    [1.0, 0.0, 0.0]
    """
    t = np.arange(1, T_max + 1)
    law = p * (1.0 - p) ** (t - 1.0)
    law[-1] = (1.0 - p) ** (T_max - 1.0)
    return law


# ---------------------------------------------------------------------------------------
# random epoch models
# ---------------------------------------------------------------------------------------


@st.composite
def _epoch_document(draw: Any, agents: Any, states_per_agent: Any, aliasing: Any,
                    max_successors: int, min_successors: int, p_handoff: Any,
                    T_max: Any,  # noqa: N803
                    duration_correlation: Any, p_terminal: Any, gamma: Any, max_next: int,
                    reward_scale: float, behavior: str, initial: str) -> dict[str, Any]:
    N = draw(_s(agents))
    g = float(draw(_s(gamma)))
    T = int(draw(_s(T_max)))
    p = float(draw(_s(p_handoff)))
    corr = float(draw(_s(duration_correlation)))
    p_term = float(draw(_s(p_terminal)))
    alias = float(draw(_s(aliasing)))
    names = [f"a{i}" for i in range(N)]

    states: list[dict[str, str]] = []
    by_agent: list[list[str]] = []
    labels_of: list[list[str]] = []
    for i, a in enumerate(names):
        n_i = int(draw(_s(states_per_agent)))
        ids, labels = [], []
        for k in range(n_i):
            if labels and (alias >= 1.0 or draw(_unit) < alias):
                label = labels[draw(st.integers(0, len(labels) - 1))]
            else:
                label = f"o{len(labels)}"
                labels.append(label)
            sid = f"y{i}_{k}"
            ids.append(sid)
            states.append({"id": sid, "agent": a, "obs": label})
        by_agent.append(ids)
        labels_of.append(labels)
    agent_of = {s["id"]: s["agent"] for s in states}
    label_of = {s["id"]: s["obs"] for s in states}

    successors: dict[str, dict[str, list[str]]] = {}
    behaviour: dict[str, dict[str, dict[str, float]]] = {}
    for i, a in enumerate(names):
        cands = [b for b in names if b != a] + [END]
        successors[a] = {}
        behaviour[a] = {}
        for label in labels_of[i]:
            hi = min(max_successors, len(cands))
            js = draw(st.lists(st.sampled_from(cands), min_size=min(min_successors, hi),
                               max_size=hi, unique=True))
            successors[a][label] = js
            if behavior == "random":
                w = _normalise([draw(_unit) for _ in js])
            else:
                w = np.full(len(js), 1.0 / len(js))
            behaviour[a][label] = dict(zip(js, w.tolist(), strict=True))

    transitions = []
    for s in states:
        y = s["id"]
        for j in successors[agent_of[y]][label_of[y]]:
            base = draw(_sym)
            if j == END:
                targets, t_prob = [None], np.ones(1)
            else:
                pool = by_agent[names.index(j)]
                nxt = draw(st.lists(st.sampled_from(pool), min_size=1,
                                    max_size=min(max_next, len(pool)), unique=True))
                w = _normalise([draw(_unit) for _ in nxt]) * (1.0 - p_term)
                targets = list(nxt) + ([None] if p_term > 0 else [])
                t_prob = np.append(w, p_term) if p_term > 0 else w
            outcomes = []
            for target, pt in zip(targets, t_prob, strict=True):
                u = draw(_unit)  # the target's own reward bonus and duration law
                bonus = 2.0 * u - 1.0
                p_t = min(1.0, max(0.05, p + corr * (u - 0.5)))
                law = truncated_geometric(p_t, T)
                for tau, pl in enumerate(law, start=1):
                    prob = float(pt * pl)
                    if prob <= 1e-12:
                        continue
                    c = reward_scale * 0.5 * (base + bonus)
                    outcomes.append({"prob": prob, "duration": tau,
                                     "reward": c * (1.0 - g ** tau) / (1.0 - g),
                                     "next": target})
            total = math.fsum(o["prob"] for o in outcomes)
            for o in outcomes:
                o["prob"] /= total
            transitions.append({"state": y, "successor": j, "outcomes": outcomes})

    if initial == "single":
        init = np.zeros(len(states))
        init[0] = 1.0
    else:
        init = _normalise([draw(_unit) for _ in states])
    return {
        "format": FORMAT,
        "name": "hypothesis-generated",
        "gamma": g,
        "agents": names,
        "states": states,
        "initial": {s["id"]: float(q) for s, q in zip(states, init, strict=True) if q > 0},
        "successors": successors,
        "transitions": transitions,
        "behavior": behaviour,
    }


def epoch_documents(*, agents: int | SearchStrategy[int] = DEFAULT_AGENTS,
                    states_per_agent: int | SearchStrategy[int] = DEFAULT_STATES_PER_AGENT,
                    aliasing: float | SearchStrategy[float] = _unit,
                    max_successors: int = 3, min_successors: int = 1,
                    p_handoff: float | SearchStrategy[float] = DEFAULT_P_HANDOFF,
                    T_max: int | SearchStrategy[int] = DEFAULT_T_MAX,  # noqa: N803
                    duration_correlation: float | SearchStrategy[float] = _unit,
                    p_terminal: float | SearchStrategy[float] = DEFAULT_P_TERMINAL,
                    gamma: float | SearchStrategy[float] = DEFAULT_GAMMA,
                    max_next: int = 2, reward_scale: float = 1.0,
                    behavior: str = "random", initial: str = "full"
                    ) -> SearchStrategy[dict[str, Any]]:
    """Random valid ``icsmdp-epoch/1`` documents (dicts); see the module docstring for the law.

    Every knob is a fixed value or a strategy. ``behavior`` is ``"random"`` (normalised random
    π_b) or ``"uniform"``; ``initial`` is ``"full"`` (normalised random ν₀, full support) or
    ``"single"`` (every episode starts in agent ``a0``'s first state). With ``p_terminal > 0``
    every pair can end the episode, so the behaviour chain is uniformly ergodic (one closed
    class, containing the restart, which is aperiodic since a restart state can restart itself;
    docs/theory.md §4).

    >>> from hypothesis import find
    >>> doc = find(epoch_documents(T_max=1), lambda d: True)
    >>> doc["format"], {o["duration"] for t in doc["transitions"] for o in t["outcomes"]}
    ('icsmdp-epoch/1', {1})
    """
    if behavior not in ("random", "uniform"):
        raise ValueError(f"behavior: {behavior!r} is not 'random' or 'uniform'")
    if initial not in ("full", "single"):
        raise ValueError(f"initial: {initial!r} is not 'full' or 'single'")
    if max_successors < 1 or max_next < 1 or not 1 <= min_successors <= max_successors:
        raise ValueError("need 1 <= min_successors <= max_successors and max_next >= 1")
    return _epoch_document(agents, states_per_agent, aliasing, max_successors, min_successors,
                           p_handoff, T_max, duration_correlation, p_terminal, gamma, max_next,
                           reward_scale, behavior, initial)


def epoch_models(**knobs: Any) -> SearchStrategy[EpochModel]:
    """Random valid :class:`~icq.reference.model.EpochModel` s: :func:`epoch_documents` (same
    knobs) loaded with :func:`~icq.reference.model.from_dict`."""
    return epoch_documents(**knobs).map(from_dict)


# ---------------------------------------------------------------------------------------
# policies, value vectors, feature maps
# ---------------------------------------------------------------------------------------


@st.composite
def _policy(draw: Any, model: EpochModel, deterministic: Any) -> np.ndarray:
    det = draw(_s(deterministic))
    pi = np.zeros(model.n_obs_pairs)
    for o in range(model.n_obs):
        lo, hi = int(model.obs_ptr[o]), int(model.obs_ptr[o + 1])
        if det:
            pi[lo + draw(st.integers(0, hi - lo - 1))] = 1.0
        else:
            pi[lo:hi] = _normalise([draw(_unit) for _ in range(hi - lo)])
    pi.setflags(write=False)
    return pi


def decentralized_policies(model: EpochModel, *, deterministic: bool | SearchStrategy[bool]
                           = _booleans) -> SearchStrategy[np.ndarray]:
    """Random decentralized policies ``π_i(j | o)`` of ``model`` as (n_obs_pairs,) arrays.

    Each observation's row is a distribution over its admissible successors ``J(ô)``: one-hot
    (``deterministic``) or normalised random weights with every successor > 0. By policy
    correspondence (docs/theory.md §2) this is also a policy of the AIS-induced SMDP.
    """
    return _policy(model, deterministic)


def q_vectors(n: int, *, scale: float = 10.0, sparse: bool = False) -> SearchStrategy[np.ndarray]:
    """Random (n,) float arrays with entries in ``[−scale, scale]`` (value functions, θ).

    With ``sparse`` at most 3 entries are nonzero, so that directions concentrated on a few
    coordinates (where the worst cases of κ or of a contraction often sit) are drawn often.
    """
    el = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if not sparse:
        return st.lists(el, min_size=n, max_size=n).map(lambda xs: np.array(xs, dtype=float))

    def build(entries: list[tuple[int, float]]) -> np.ndarray:
        v = np.zeros(n)
        for i, x in entries:
            v[i] = x
        return v

    return st.lists(st.tuples(st.integers(0, max(n - 1, 0)), el), max_size=min(n, 3)).map(build)


@st.composite
def _features(draw: Any, model: EpochModel, dim: Any, kind: Any) -> np.ndarray:
    n = model.n_obs_pairs
    k = draw(_s(kind))
    if k == "onehot":
        phi = np.eye(n)
    else:
        d = int(draw(_s(dim))) if dim is not None else draw(st.integers(1, n))
        if n * d <= 96:
            raw = np.array([draw(_sym) for _ in range(n * d)]).reshape(n, d)
        else:  # large maps: a seeded draw, so that the example fits Hypothesis' buffer
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
            raw = rng.uniform(-1.0, 1.0, size=(n, d))
        phi = raw / np.maximum(1.0, np.linalg.norm(raw, axis=1))[:, None]
    phi.setflags(write=False)
    return phi


def feature_maps(model: EpochModel, *, dim: int | SearchStrategy[int] | None = None,
                 kind: str | SearchStrategy[str] = "random") -> SearchStrategy[np.ndarray]:
    """Random feature maps Φ of shape (n_obs_pairs, d) with every row ``‖φ(ô,j)‖₂ ≤ 1``
    (docs/theory.md §5).

    ``kind`` ``"random"`` (entries uniform on [−1, 1], rows scaled into the unit ball; ``d``
    from ``dim``, default 1..n_obs_pairs) or ``"onehot"`` (the tabular features, Φ = I).
    """
    return _features(model, dim, kind)


# ---------------------------------------------------------------------------------------
# perturbations of a user's model
# ---------------------------------------------------------------------------------------


def _renormalise(p: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    tot = np.bincount(owner, p, minlength=len(ptr) - 1)
    return p / tot[owner]


@st.composite
def _perturbation(draw: Any, model: EpochModel, scale: Any, probabilities: bool,
                  rewards: bool, max_local: int) -> EpochModel:
    n_out = len(model.out_prob)
    r_unit = max(model.R_bar, 1e-3)
    log_p = np.zeros(n_out)
    d_rew = np.zeros(n_out)
    s = float(draw(_s(scale)))
    # a few local jitters: shrinking removes them one by one, towards the user's own model
    for idx, u, v in draw(st.lists(st.tuples(st.integers(0, n_out - 1), _sym, _sym),
                                   max_size=max_local)):
        log_p[idx] += s * u
        d_rew[idx] += s * r_unit * v
    # and a global jitter of every outcome, from a seeded draw (any model size fits)
    g = float(draw(st.floats(0.0, 1.0))) * s
    if g > 0:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        log_p += g * rng.uniform(-1.0, 1.0, n_out)
        d_rew += g * r_unit * rng.uniform(-1.0, 1.0, n_out)
    prob = model.out_prob * np.exp(log_p) if probabilities else np.array(model.out_prob)
    prob = _renormalise(prob, model.out_ptr)
    rew = model.out_rew + d_rew if rewards else np.array(model.out_rew)
    return rebuild(model, out_prob=prob, out_rew=rew)


def rebuild(model: EpochModel, **arrays: Any) -> EpochModel:
    """``model`` with some outcome arrays (``out_prob``, ``out_rew``, ``out_dur``) or ``gamma``,
    ``initial``, ``behavior`` replaced, validated again by
    :func:`~icq.reference.model.from_arrays`. Same structure, same names.

    >>> from icq.reference.model import load, example_path
    >>> m = load(example_path("ring-exact"))
    >>> rebuild(m, out_dur=np.ones_like(m.out_dur)).T_max
    1
    """
    kw = {
        "gamma": model.gamma, "agents": model.agents, "state_agent": model.state_agent,
        "state_obs": model.state_obs, "obs_agent": model.obs_agent, "obs_ptr": model.obs_ptr,
        "obs_succ": model.obs_succ, "out_ptr": model.out_ptr, "out_prob": model.out_prob,
        "out_dur": model.out_dur, "out_rew": model.out_rew, "out_next": model.out_next,
        "initial": model.initial, "behavior": model.behavior, "state_ids": model.state_ids,
        "obs_labels": model.obs_labels, "name": model.name,
    }
    unknown = set(arrays) - set(kw)
    if unknown:
        raise ValueError(f"rebuild: unknown fields {sorted(unknown)}")
    kw.update(arrays)
    return from_arrays(**kw)


def perturbations(model: EpochModel, *, scale: float | SearchStrategy[float]
                  = DEFAULT_PERTURBATION_SCALE, probabilities: bool = True, rewards: bool = True,
                  max_local: int = 4) -> SearchStrategy[EpochModel]:
    """Models with the structure of ``model`` (states, observations, admissible sets, outcome
    supports, durations) and jittered outcome probabilities and rewards, renormalised.

    Probabilities are multiplied by ``exp(s·u)``, ``u ∈ [−1, 1]``, and renormalised per pair
    (they stay > 0); rewards move by ``s·R̄·v``. A few single-outcome jitters (drawn by Hypothesis,
    so they shrink away) and a seeded global jitter of size at most ``s``. The minimal example is
    ``model`` itself.

    >>> from hypothesis import find
    >>> from icq.reference.model import load, example_path
    >>> m = load(example_path("author-reviewer-editor"))
    >>> p = find(perturbations(m), lambda p: bool((p.out_prob != m.out_prob).any()))
    >>> p.n_pairs == m.n_pairs and bool((p.out_next == m.out_next).all())
    True
    """
    return _perturbation(model, scale, probabilities, rewards, max_local)


# ---------------------------------------------------------------------------------------
# random primitive IC-SMDPs (docs/theory.md §1, icq.reference.model.primitive)
# ---------------------------------------------------------------------------------------

DEFAULT_PRIMITIVE_AGENTS = st.integers(1, 2)
_small = st.integers(1, 2)


@st.composite
def _primitive(draw: Any, agents: Any, latent: Any, interface: Any, private: Any,
               actions: Any, T_max: Any, gamma: Any, termination: Any,  # noqa: N803
               kernel_support: int) -> Any:
    N = int(draw(_s(agents)))
    n_s, n_z = int(draw(_s(latent))), int(draw(_s(interface)))
    n_x = [int(draw(_s(private))) for _ in range(N)]
    n_a = [int(draw(_s(actions))) for _ in range(N)]
    T = int(draw(_s(T_max)))
    g = float(draw(_s(gamma)))
    term = draw(_s(termination))
    # the bulk of the numbers from one seeded generator: a small model has hundreds of kernel
    # entries, more than a Hypothesis example should carry; the structure is drawn directly
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    observation, successors, policy, kernel, reward, beta, behavior = [], [], [], [], [], [], []
    for i in range(N):
        cells = n_z * n_x[i]
        n_o = int(draw(st.integers(1, min(2, cells))))
        obs = np.array([k if k < n_o else draw(st.integers(0, n_o - 1)) for k in range(cells)])
        observation.append(obs.reshape(n_z, n_x[i]))
        succ = np.zeros((n_o, N + 1), dtype=bool)
        cands = [j for j in range(N + 1) if j != i]
        for o in range(n_o):
            js = draw(st.lists(st.sampled_from(cands), min_size=1, max_size=len(cands),
                               unique=True))
            succ[o, js] = True
        successors.append(succ)
        behavior.append(np.where(succ, rng.uniform(0.2, 1.0, succ.shape), 0.0))
        behavior[-1] /= behavior[-1].sum(axis=1, keepdims=True)
        pol = rng.uniform(0.1, 1.0, (n_o, n_a[i]))
        policy.append(pol / pol.sum(axis=1, keepdims=True))
        m_i = n_s * n_z * n_x[i]
        ker = np.zeros((m_i * n_a[i], m_i))
        for r in range(len(ker)):  # each row supported on a few local states
            cols = rng.choice(m_i, size=min(kernel_support, m_i), replace=False)
            ker[r, cols] = rng.uniform(0.1, 1.0, len(cols))
        ker /= ker.sum(axis=1, keepdims=True)
        kernel.append(ker.reshape(n_s, n_z, n_x[i], n_a[i], 1, n_s, n_z, n_x[i]))
        reward.append(rng.uniform(-1.0, 1.0, (n_s, n_z, n_x[i], n_a[i], 1)))
        beta.append(np.full((n_s, n_z, n_x[i]), float(term)) if term != "random"
                    else rng.uniform(0.0, 1.0, (n_s, n_z, n_x[i])))
    init = rng.uniform(0.1, 1.0, (N, n_s, n_z, *n_x))
    return PrimitiveICSMDP(
        observation=tuple(observation), successors=tuple(successors),
        local_policy=tuple(policy), kernel=tuple(kernel), reward=tuple(reward),
        termination=tuple(beta), initial=init / init.sum(), gamma=g, T_max=T,
        behavior=tuple(behavior), name="hypothesis-primitive")


def primitive_models(*, agents: int | SearchStrategy[int] = DEFAULT_PRIMITIVE_AGENTS,
                     latent: int | SearchStrategy[int] = _small,
                     interface: int | SearchStrategy[int] = _small,
                     private: int | SearchStrategy[int] = _small,
                     actions: int | SearchStrategy[int] = _small,
                     T_max: int | SearchStrategy[int] = DEFAULT_T_MAX,  # noqa: N803
                     gamma: float | SearchStrategy[float] = DEFAULT_GAMMA,
                     termination: float | str | SearchStrategy[Any] = DEFAULT_P_HANDOFF,
                     kernel_support: int = 2) -> SearchStrategy[Any]:
    """Random valid primitive IC-SMDPs (:class:`~icq.reference.model.primitive.PrimitiveICSMDP`).

    Sizes (agents, ``|S|``, ``|Z|``, ``|X_i|``, ``|A_i|``), ``T_max``, γ, the observation maps
    ``O_i(z, x_i)`` (every label used), the admissible sets and the seed are drawn by
    Hypothesis; local policies, kernels (each row on ``kernel_support`` local states),
    rewards (uniform on [−1, 1]), ν₀ (full support) and π_b are normalised draws of a seeded
    generator. ``termination`` is a handoff probability p (β ≡ p: the truncated geometric
    duration law) or ``"random"`` (β drawn per local state). Episodes end only through END.

    >>> from hypothesis import find
    >>> from icq.reference.model.primitive import reduce_to_epoch
    >>> pm = find(primitive_models(agents=2), lambda pm: True)
    >>> reduce_to_epoch(pm).n_agents
    2
    """
    return _primitive(agents, latent, interface, private, actions, T_max, gamma, termination,
                      kernel_support)
