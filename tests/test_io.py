"""Atomic writes leave nothing behind on failure; the JSON convention round-trips infinities."""

import json
import math
import os

import numpy as np
import pytest

from icq.reference.common.io import atomic_write, dumps, write_json


def test_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    dest = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_write(dest) as fh:
            fh.write("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(dest) as fh:
            fh.write("new")
            raise RuntimeError("boom")
    assert dest.read_text() == "old" and list(tmp_path.iterdir()) == [dest]


def test_json_convention_round_trips():
    obj = {"a": math.inf, "b": [-np.inf, 1.5, np.nan], "c": np.float32(2.0), "d": "Infinity"}
    text = dumps(obj)
    assert "Infinity" not in text.replace('"Infinity"', "") and "inf" not in text.lower().replace(
        '"infinity"', "")
    back = json.loads(text)
    assert back["a"] == math.inf and back["b"][0] == -math.inf and back["b"][2] is None
    assert back["c"] == 2.0 and back["d"] == "Infinity"


def test_write_json(tmp_path):
    write_json(tmp_path / "x" / "y.json", {"k": np.arange(3)})
    assert json.loads((tmp_path / "x" / "y.json").read_text()) == {"k": [0, 1, 2]}


def test_outputs_get_ordinary_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"k": 1})
    finally:
        os.umask(mask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
