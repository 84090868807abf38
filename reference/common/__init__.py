"""Floor 0: what every other floor uses and nothing of the model — atomic writes and the JSON
convention (:mod:`~icq.reference.common.io`), the random stream every learner draws from
(:mod:`~icq.reference.common.rng`), text and HTML tables, the document model reports render
(:mod:`~icq.reference.common.document`), seed sweeps in this process, in worker processes or on Ray
(:mod:`~icq.reference.common.parallel`)."""
