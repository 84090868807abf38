"""Every docstring example in the library runs (docs/contributing.md, "Documentation")."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import icq


def _modules() -> list[str]:
    names = ["icq"]
    for pkg in ("icq.reference", "icq.bounds", "icq.property_tests", "icq.commands",
                "icq.integrations"):
        mod = importlib.import_module(pkg)
        names += [pkg] + [m.name for m in pkgutil.walk_packages(mod.__path__, f"{pkg}.")]
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} doctest failures"


def test_public_surface_is_explicit():
    for name in icq.__all__:
        assert hasattr(icq, name), name
