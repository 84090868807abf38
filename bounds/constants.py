"""The fixed numbers of the budget search (docs/theory.md §8), in a module that imports nothing,
so that the command line can print them in its help without loading the bounds floor.
:mod:`icq.bounds.certify` and :mod:`icq.bounds.budgets` use them and export them too.

>>> CERTIFICATE_SEED_BASE == 2**32 < SELECTION_SEED_BASE
True
"""

__all__ = ["AUTO_CAP", "AUTO_START", "CERTIFICATE_SEED_BASE", "NO_BUDGET", "SELECTION_SEED_BASE"]

#: first seed of every certificate: 2³², a range ``icq train`` (``--seed``, default 0) never
#: reaches by default, so a default training run is a fresh run (docs/theory.md §8)
CERTIFICATE_SEED_BASE = 2**32
#: first seed of ``--tune``'s selection stage: disjoint from the certificate seeds (up to 2³¹
#: of them) and from ``icq train``'s default
SELECTION_SEED_BASE = CERTIFICATE_SEED_BASE + 2**31
#: ``--horizon auto``: the first horizon and the default cap of the doubling
AUTO_START = 200_000
AUTO_CAP = 64_000_000
#: exit status of ``icq budget`` when no method gives a budget
NO_BUDGET = 3
