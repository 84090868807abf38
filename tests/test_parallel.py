"""The three backends of ``map_tasks`` give the same results in input order."""

import pytest

from icq.reference.common.parallel import map_tasks


def _square_minus(x):
    return x * x - 1


def test_serial_and_local_agree_in_order():
    tasks = list(range(7, -3, -1))
    expected = [_square_minus(t) for t in tasks]
    assert map_tasks(_square_minus, tasks, backend="serial") == expected
    assert map_tasks(_square_minus, tasks, backend="local", workers=2) == expected


def test_ray_agrees_with_serial():
    # ray: the [ray] extra; its import takes seconds, only this test needs it
    import ray
    tasks = [3, -1, 4, 1, -5]
    try:
        out = map_tasks(_square_minus, tasks, backend="ray", workers=2)
    finally:
        ray.shutdown()
    assert out == [_square_minus(t) for t in tasks]


@pytest.mark.parametrize("kw", [{"backend": "dask"}, {"backend": "local", "workers": 0}])
def test_bad_arguments_are_refused(kw):
    with pytest.raises(ValueError):
        map_tasks(_square_minus, [1], **kw)
