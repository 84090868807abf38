"""The reference implementation of the model and its learners: the bottom four floors.

- :mod:`icq.reference.common` (floor 0): atomic writes and the JSON convention, the random
  stream, tables, the document model, seed sweeps;
- :mod:`icq.reference.model` (floor 1): the ``icsmdp-epoch/1`` format and its validator, the
  epoch and primitive models, random models;
- :mod:`icq.reference.exact` (floor 2): exact solutions, the behaviour chain, mixing, the AIS
  model;
- :mod:`icq.reference.learners` (floor 3): the shared SMDP step and sampler, tabular, neural and
  adaptable IC-Q, the decentralized runtime, worlds, PettingZoo and Ray, traces.

A module imports only from its own floor or those below (``tests/test_floors.py``).
"""
