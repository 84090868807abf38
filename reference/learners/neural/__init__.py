"""Neural IC-Q (paper §3–§4; docs/theory.md §2, §5, §6), in PyTorch.

The model
---------
Agent ``i`` owns a network ``f_i(x; θ_i) ∈ R^{K_i}`` over the encoding ``x_i(o) ∈ R^{d_i}`` of its
*own* observations (default: one-hot of its observation labels), with one output per *slot*: the
successors ``j`` that occur in some admissible set ``J(ô)`` of the agent, inadmissible ones masked
out. The network is an MLP with ``depth`` hidden layers of ``width`` units (``depth = 0``: linear in
the encoding); parameters are never shared between agents. With ``θ₀`` the initialisation and
``δ = θ − θ₀``,

    Q_θ(ô, j) = f_i(x(ô); θ_i)[j] − f_i(x(ô); θ_{i,0})[j]          (ô an observation of agent i)

(centred, so ``Q_θ₀ = 0`` as in the tabular learner and the tangent model is exactly
``Q ≈ φᵀδ``; ``center=False`` drops the offset). The update at a handoff ``(ô, j, τ, R, ô')``
(paper eq. (4)–(5)) is done by the predecessor ``i`` alone:

    v = V_j(ô') = max_{j'∈J(ô')} Q_{θ_j}(ô', j')   (by the successor; sent back as one float)
    target = R + γ^τ v    (target = R when the episode ends)
    δ_i ← Π( δ_i − α_t (Q_θ(ô, j) − target) ∇_{θ_i} f_i(x(ô); θ_i)[j] )

a semi-gradient step on ``½(Q − target)²`` (rlax's ``q_learning`` with ``discount = γ^τ``). With a
minibatch of ``B`` consecutive handoffs the step is the mean over them. ``Π`` projects onto the
trust region of A3: with ``projection="agent"`` (default) each agent projects its own block onto a
ball of radius ``R_θ/√N`` around its initialisation, so that the joint iterate stays in
``‖θ − θ₀‖₂ ≤ R_θ`` without any agent learning another's norm; ``projection="joint"`` projects the
concatenated ``θ`` (a centralised step, docs/theory.md §6 read literally). ``R_θ`` is in parameter
units; in the normalised tangent-feature units of docs/theory.md §5 it is ``s·R_θ`` with ``s`` the
tangent-feature scale. SGD step sizes are in feature units, i.e. ``α_t/s²`` per parameter, so that
``α`` is the step on ``Q`` for the pair with the largest gradient, whatever the width:
``"theory"`` ``α_t = 1/((1−κ)ω(t+1))`` (§6), ``"constant"`` ``α_t = lr``, ``"harmonic"``
``α_t = lr/(1 + t/lr_decay)``; Adam (a practical option outside the theorem) takes ``lr`` in
parameter units. ``t`` counts updates over all agents (the theorem's clock; a deployment needs a
shared clock for it). The reported iterate is the average ``θ̄_T = θ₀ + (1/T) Σ_{t=1}^T δ_t``
(``average=True``), kept as ``δ_T − U_T/T`` with ``U_T = Σ_t (t−1)(δ_t − δ_{t−1})``, which
changes only where δ does.

Samples come from the same epoch-level simulation as :mod:`icq.reference.learners.tabular` under the
behaviour policy ``π_b`` (the pre-configured regime of Theorem 1): with the same seed the two
learners see the same handoffs. The stream does not depend on ``θ``, so it is drawn in chunks by a
compiled sampler and fed to the update. The update is one pure function over parameters stacked
along a leading seed axis: one seed is an axis of length 1 (:func:`train_neural`), many seeds
run at once (:func:`train_neural_batch`), natively or under ``torch.func.vmap`` of the one-seed
update (the same numbers; on CPU the native axis is much faster, see ``benchmarks/``).
Parameters are stored as one flat row per agent (rows zero-padded to a common length; padding
never moves), so an update touches its own agent's row only. The native loop for one seed, and
for minibatches of any number of seeds, updates in place (:func:`.update._fast_step`): every
layer of the predecessor's network gets ``−α DᵀH`` added to a view of its row (``addmm_``; rank
one for one handoff, the sum over the minibatch's handoffs of that agent otherwise), the forward
pass reads ``W₀h + W_δh`` without forming ``θ₀ + δ``, and no parameter or gradient row is
gathered or stored per handoff. Many seeds with one handoff per update use the stacked update
(:func:`.update._step`, one batched product over seeds); the two agree to rounding. Training
runs with ``NeuralConfig.threads`` torch threads (default 1, see ``benchmarks/README.md``).

Theorem 1 is a statement about the *linearised* learner ``Q = φᵀθ`` with the tangent features
``φ(ô,j) = ∇_θ f(ô,j; θ₀)`` (docs/theory.md §5, :func:`tangent_features`); the network differs from
it by the linearisation error on the trust region (A4), which :func:`linearisation_error` measures
and :func:`icq.bounds.neural_features.neural_feature_terms` reports beside the theorem's
terms.

The modules, bottom up: :mod:`.options` (:class:`NeuralConfig`, the tables of choices and the
``icq train --learner neural`` options; no torch import), :mod:`.networks` (encodings, the
layer layout, forward and hand-written backward passes, :class:`AgentNetworks`),
:mod:`.update` (the semi-gradient SMDP step, stacked and in place, the projection and the
step sizes), :mod:`.sampling` (the handoff stream), :mod:`.checkpoints` (the training state
and its checkpoints), :mod:`.tangent` (tangent features, the linearisation error, the
support-span reduction) and :mod:`.training` (:func:`train_neural`, :func:`train_neural_batch`).
This package imports them on first use of a name, so that importing
:mod:`.options` (the command line does) does not import torch.

Examples
--------
>>> import numpy as np
>>> from icq.reference.learners.neural import NeuralConfig, tangent_features, train_neural
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> res = train_neural(m, NeuralConfig(handoffs=200, width=8, depth=1, seed=3))
>>> res.q.shape, res.handoffs
((4,), 200)
>>> tf = tangent_features(m, width=8, depth=1, seed=3)
>>> tf.Phi.shape[0], bool(abs(np.linalg.norm(tf.Phi, axis=1).max() - 1) < 1e-12)
(4, True)
"""

from __future__ import annotations

import importlib

#: every name this package re-exports, by the module of the package that defines it
_HOMES = {
    "options": ("ACTIVATIONS", "DEFAULT_LR", "DTYPE_NAMES", "NeuralConfig", "OPTIMIZERS",
                "PROJECTIONS", "SCHEDULES", "add_train_arguments", "resolve_device"),
    "networks": ("AgentNetworks", "DTYPES", "Encoding", "HIDDEN_BIAS_STD", "build_networks",
                 "one_hot_encoding", "q_values"),
    "update": ("smdp_target", "successor_value"),
    "sampling": ("sample_handoffs",),
    "training": ("NeuralBatchResult", "NeuralResult", "torch_threads", "train_neural",
                 "train_neural_batch"),
    "tangent": ("LinearisationError", "SPAN_METHOD", "TangentFeatures", "linearisation_error",
                "reduce_to_support_span", "tangent_features"),
}
_LAZY = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ACTIVATIONS",
    "AgentNetworks",
    "Encoding",
    "LinearisationError",
    "NeuralBatchResult",
    "NeuralConfig",
    "NeuralResult",
    "TangentFeatures",
    "add_train_arguments",
    "build_networks",
    "linearisation_error",
    "one_hot_encoding",
    "q_values",
    "reduce_to_support_span",
    "resolve_device",
    "sample_handoffs",
    "smdp_target",
    "successor_value",
    "tangent_features",
    "torch_threads",
    "train_neural",
    "train_neural_batch",
]


def __getattr__(name: str):
    # imported on first use, so that importing .options does not import torch
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
