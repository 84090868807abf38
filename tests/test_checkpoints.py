"""Crafted, damaged and mismatched checkpoints: never a crash, always exit 2 with one line.

Guarantee under test (docs/format.md, Checkpoints): every stored array is checked (dtype, shape,
index range, finite values, generator state) and the model fingerprint and configuration are
compared before the compiled loop sees anything; a SIGSEGV or abort would kill this process.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from icq.cli import main
from icq.reference.common.archive import content_digest
from icq.reference.learners.checkpoint import model_fingerprint
from icq.reference.model import example_path, from_dict, load

RING = str(example_path("ring-exact"))
TAB = ["train", RING, "--json", "--seed", "3"]
NEURAL = ["train", RING, "--json", "--learner", "neural", "--width", "4", "--depth", "1"]


def saved(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def rewrite(path, **changes) -> None:
    """The checkpoint with ``changes`` and a digest that matches them (so that the rule under
    test, not the digest, refuses it)."""
    arrays = {k: v for k, v in {**saved(path), **changes}.items() if v is not None}
    arrays["__sha256__"] = np.array(content_digest(arrays))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def refused(args, capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def tabular_ck(tmp_path_factory):
    ck = tmp_path_factory.mktemp("tab") / "ck.npz"
    assert main([*TAB, "--handoffs", "2000", "--checkpoint", str(ck)]) == 0
    return ck.read_bytes()


TABULAR_CRAFTED = {
    "state 10**6": dict(y=np.int64(10**6)), "state -10**9": dict(y=np.int64(-10**9)),
    "rng of one word": dict(rng=np.array([1], dtype=np.uint64)),
    "rng all zero": dict(rng=np.zeros(4, dtype=np.uint64)),
    "rng as floats": dict(rng=np.ones(4)),
    "NaN in Q": dict(q=np.full(4, np.nan)), "Q too short": dict(q=np.zeros(3)),
    "Q as ints": dict(q=np.zeros(4, dtype=np.int64)), "negative visits": dict(visits=-np.ones(4)),
    "negative done": dict(done=np.int64(-5)), "last beyond done": dict(last=np.full(4, 1e12)),
    "missing entry": dict(acc=None), "foreign kind": dict(__kind__=np.array("something/1")),
    "meta not JSON": dict(__meta__=np.array("{")),
    "object array": dict(q=np.array([object()], dtype=object)),
    "visits 0.5": dict(visits=np.array([0.5, 1000, 500, 498.5])),
    "visits 1e300": dict(visits=np.array([1e300, 0, 0, 0])),
    "done below the visits": dict(done=np.int64(1000), last=np.zeros(4)),
    "Q of 1e308": dict(q=np.full(4, 1e308)),
}


@pytest.mark.parametrize("case", sorted(TABULAR_CRAFTED))
def test_crafted_tabular_checkpoint_refused(case, tabular_ck, tmp_path, capsys):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(tabular_ck)
    if case == "object array":  # written with pickling: the loader never unpickles
        arrays = saved(ck)
        arrays["q"] = TABULAR_CRAFTED[case]["q"]
        with open(ck, "wb") as fh:
            np.savez(fh, **arrays)
    else:
        rewrite(ck, **TABULAR_CRAFTED[case])
    assert "checkpoint" in refused([*TAB, "--handoffs", "4000", "--checkpoint", str(ck),
                                    "--resume"], capsys)


@pytest.mark.parametrize("damage", ["empty", "truncated", "random bytes", "json", "zip of text",
                                    "folder", "missing"])
def test_damaged_or_missing_checkpoint_refused(damage, tabular_ck, tmp_path, capsys):
    ck = tmp_path / "ck.npz"
    if damage == "empty":
        ck.write_bytes(b"")
    elif damage == "truncated":
        ck.write_bytes(tabular_ck[: len(tabular_ck) // 2])
    elif damage == "random bytes":
        ck.write_bytes(np.random.default_rng(0).bytes(3000))
    elif damage == "json":
        ck.write_text(json.dumps({"q": [0, 0, 0, 0]}))
    elif damage == "zip of text":
        with zipfile.ZipFile(ck, "w") as z:
            z.writestr("q.npy", "not an array")
    elif damage == "folder":
        ck.mkdir()
    err = refused([*TAB, "--handoffs", "4000", "--checkpoint", str(ck), "--resume"], capsys)
    assert str(ck) in err
    if damage == "folder":  # also without --resume: nothing is trained, nothing written
        refused([*TAB, "--handoffs", "10", "--checkpoint", str(ck)], capsys)


def test_mismatches_are_named(tabular_ck, tmp_path, capsys):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(tabular_ck)
    err = refused([*TAB, "--handoffs", "1000", "--checkpoint", str(ck), "--resume"], capsys)
    assert "already has 2000 handoffs" in err  # --handoffs below the checkpoint's
    err = refused(["train", RING, "--seed", "4", "--handoffs", "4000", "--checkpoint", str(ck),
                   "--resume"], capsys)
    assert "seed: checkpoint 3, now 4" in err
    other = json.loads(example_path("ring-exact").read_text())
    other["gamma"] = 0.5  # another model of the same shape
    (tmp_path / "other.json").write_text(json.dumps(other))
    err = refused(["train", str(tmp_path / "other.json"), "--seed", "3", "--handoffs", "4000",
                   "--checkpoint", str(ck), "--resume"], capsys)
    assert "another model" in err
    assert model_fingerprint(load(RING)) != model_fingerprint(from_dict(other))
    assert main([*TAB, "--handoffs", "4000", "--checkpoint", str(ck), "--resume"]) == 0


@pytest.fixture(scope="module")
def neural_ck(tmp_path_factory):
    ck = tmp_path_factory.mktemp("nn") / "ck.npz"
    assert main([*NEURAL, "--handoffs", "20", "--checkpoint", str(ck)]) == 0
    return ck.read_bytes()


@pytest.mark.parametrize("case", ["nan", "shape", "rng", "state", "kind", "delta 1e308",
                                  "visits"])
def test_crafted_neural_checkpoint_refused(case, neural_ck, tmp_path, capsys):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(neural_ck)
    z = saved(ck)
    change = {"nan": dict(delta=np.full_like(z["delta"], np.nan)),
              "shape": dict(delta=z["delta"][..., :-1]),
              "rng": dict(rng=z["rng"][:, :1]),
              "state": dict(y=np.full_like(z["y"], 10**6)),
              "kind": dict(__kind__=np.array("tabular-icq/2")),
              "delta 1e308": dict(delta=np.full_like(z["delta"], 1e308)),
              "visits": dict(visits=z["visits"] + 1)}[case]
    rewrite(ck, **change)
    assert "checkpoint" in refused([*NEURAL, "--handoffs", "40", "--checkpoint", str(ck),
                                    "--resume"], capsys)


def test_a_rewritten_checkpoint_with_its_digest_resumes(tabular_ck, tmp_path):
    """Negative control of the crafted cases: rewriting with no change (and a fresh digest)
    resumes, so each refusal above is its rule's."""
    ck = tmp_path / "ck.npz"
    ck.write_bytes(tabular_ck)
    rewrite(ck)
    assert main([*TAB, "--handoffs", "4000", "--checkpoint", str(ck), "--resume"]) == 0


def _data_offsets(blob: bytes) -> list[int]:
    """Offsets of the bytes of every entry's data (the .npy payloads) in an .npz."""
    out = []
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            out += range(start, start + info.compress_size)
    return out


@pytest.mark.parametrize("damage", ["flipped", "appended", "no digest", "digest edited",
                                    "huge entry", "plain npy"])
def test_integrity(damage, tabular_ck, tmp_path, capsys):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(tabular_ck)
    if damage == "flipped":  # 8 bytes of the content flipped (CRC-32 or the SHA-256 finds it)
        blob = bytearray(tabular_ck)
        offs = _data_offsets(tabular_ck)
        for i in np.random.default_rng(1).choice(len(offs), 8, replace=False):
            blob[offs[i]] ^= 0x5A
        ck.write_bytes(bytes(blob))
    elif damage == "appended":
        ck.write_bytes(tabular_ck + b"garbage")
    elif damage == "no digest":  # a checkpoint of the earlier format
        arrays = saved(ck)
        del arrays["__sha256__"]
        with open(ck, "wb") as fh:
            np.savez(fh, **arrays)
    elif damage == "digest edited":
        arrays = saved(ck)
        arrays["q"] = arrays["q"] + 1.0  # a plausible table, but not what the digest says
        with open(ck, "wb") as fh:
            np.savez(fh, **arrays)
    elif damage == "huge entry":  # 256 MiB of zeros, deflated to a small file
        rewrite(ck)
        with zipfile.ZipFile(ck, "a", compression=zipfile.ZIP_DEFLATED) as z:
            with z.open("unused.npy", "w", force_zip64=True) as fh:
                block = bytes(1 << 20)
                for _ in range(256):
                    fh.write(block)
        assert ck.stat().st_size < 2_000_000
    elif damage == "plain npy":
        np.save(ck.with_suffix(".npy"), np.zeros(4))
        ck = ck.with_suffix(".npy")
    err = refused([*TAB, "--handoffs", "4000", "--checkpoint", str(ck), "--resume"], capsys)
    assert str(ck) in err
    want = {"no digest": "earlier version", "digest edited": "SHA-256",
            "huge entry": "declares", "plain npy": ".npy array",
            "appended": "end of a zip archive"}.get(damage, "")
    assert want in err, err
