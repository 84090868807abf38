"""Floor 3: the learners and the worlds they run in — the SMDP step and behaviour sampler they
share (:mod:`~icq.reference.learners.handoffs`), tabular IC-Q and its Monte-Carlo runs, neural IC-Q
(:mod:`~icq.reference.learners.neural`), adaptable agents, checkpoints, the decentralized
runtime and the world protocol, the PettingZoo environment, the Ray runtime, and handoff traces
(:mod:`~icq.reference.learners.traces`)."""
