"""The checks floor (``icq.property_tests``): Hypothesis strategies for IC-SMDPs, the properties
the theory promises (one module per group, each with a negative control that Hypothesis
falsifies), ``check_model`` for a user's own model, and the input fuzzer.

It sits above :mod:`icq.bounds` and below the ``icq`` API and command line; the pytest runs of
these properties on generated models are in ``property_tests/tests/``.
"""
