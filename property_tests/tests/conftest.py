"""Hypothesis profiles for the property suite: ``dev`` (default), ``ci``, ``thorough``.

Chosen with ``HYPOTHESIS_PROFILE``; when a CI environment is detected and no profile is named,
``ci``. Hypothesis loads its *own* ``ci`` profile at import when ``CI`` is set; registering ours
under that name and loading it here, after registration, makes ours win (fixed
``max_examples``, ``derandomize=True``, ``deadline=None``).
"""

from icq.property_tests.strategies import load_profile

PROFILE = load_profile()


def pytest_report_header(config):
    return f"hypothesis profile: {PROFILE}"
