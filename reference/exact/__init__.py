"""Floor 2: exact solutions of a model — policy and value iteration
(:mod:`~icq.reference.exact.solve`), the behaviour chain with its stationary law and the μ⊗π_b
weights (:mod:`~icq.reference.exact.chain`), d(t), τ_mix and the restart bound
(:mod:`~icq.reference.exact.mixing`), the AIS model (:mod:`~icq.reference.exact.induced`)."""
