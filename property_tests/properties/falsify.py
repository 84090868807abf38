"""Negative controls: Hypothesis must falsify the deliberately wrong variants
(:func:`assert_falsified`), through a derandomized search (:func:`find_counterexample`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

from icq.property_tests.strategies import PROFILES

__all__ = ["assert_falsified", "find_counterexample"]


def find_counterexample(strategy: Any, check: Callable[[Any], Any], *,
                        max_examples: int | None = None, shrink: bool = False
                        ) -> tuple[Any, str] | None:
    """The first example of ``strategy`` on which ``check`` raises AssertionError (shrunk when
    ``shrink``), with the message; None if there is none within ``max_examples`` examples.

    The search is derandomized (the same call finds the same example) and uses
    ``max_examples`` (default: the larger of the active profile's and the ``ci`` profile's),
    so a negative control that is falsified under ``ci`` is falsified under every profile.
    """
    n = max_examples or max(settings().max_examples, PROFILES["ci"]["max_examples"])
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    cfg = settings(max_examples=n, derandomize=True, database=None, deadline=None,
                   phases=phases, suppress_health_check=list(HealthCheck))

    def fails(x: Any) -> bool:
        try:
            check(x)
        except AssertionError:
            return True
        return False

    try:
        ex = find(strategy, fails, settings=cfg)
    except NoSuchExample:
        return None
    try:
        check(ex)
    except AssertionError as exc:
        return ex, str(exc)
    return ex, "(did not fail again)"  # pragma: no cover - checks are deterministic


def assert_falsified(strategy: Any, check: Callable[[Any], Any], *,
                     max_examples: int | None = None) -> str:
    """Assert that Hypothesis falsifies ``check`` on ``strategy`` (a negative control must
    fail); returns the failure message."""
    found = find_counterexample(strategy, check, max_examples=max_examples)
    if found is None:
        raise AssertionError("the negative control was not falsified: the property could not "
                             "catch the deliberately wrong variant on these examples")
    return found[1]
