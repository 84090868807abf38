"""Archives of named arrays that can be trusted on reading back: an ``.npz`` (never pickled) with
a SHA-256 of its content, read entry by entry with size limits before anything is decompressed.

The learners' checkpoints (:mod:`icq.reference.learners.checkpoint`) and the finished tasks of a
long sweep (:func:`icq.reference.common.parallel.map_tasks` with ``checkpoint``) are such
archives. :func:`encode` and :func:`decode` turn a result made of arrays, numbers, strings,
lists, tuples and dicts into entries and back, bit for bit (floats by their hex form).

>>> import numpy as np
>>> tree = (np.arange(3.0), {"n": 2, "x": 0.1, "s": "a"}, [None, True])
>>> back = decode(encode(tree))
>>> back[1] == tree[1] and back[2] == tree[2] and bool((back[0] == tree[0]).all())
True
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from icq.reference.common.io import atomic_write

__all__ = ["DIGEST", "MAX_ENTRIES", "ArchiveError", "content_digest", "decode", "encode",
           "read_archive", "write_archive"]

#: the most entries an archive may hold
MAX_ENTRIES = 64
#: the name of the entry holding the SHA-256 of the others
DIGEST = "__sha256__"
#: the largest entry when no limit is given for it
_SMALL_ENTRY = 1 << 20
_TREE = "__tree__"


class ArchiveError(ValueError):
    """An archive that cannot be used (exit status 2 on the command line): the message names
    the file and the rule."""


def content_digest(entries: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) of named arrays: each name, dtype, shape and C-order bytes, by name
    (the entry :data:`DIGEST` itself excluded)."""
    h = hashlib.sha256()
    for name in sorted(entries):
        if name == DIGEST:
            continue
        a = np.ascontiguousarray(entries[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_archive(path: str | os.PathLike, entries: dict[str, Any]) -> None:
    """Write ``entries`` and their digest atomically
    (:func:`~icq.reference.common.io.atomic_write`)."""
    arrays = {k: np.asarray(v) for k, v in entries.items()}
    arrays[DIGEST] = np.array(content_digest(arrays))
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)


def read_archive(path: str | os.PathLike, limits: dict[str, int | None] | None = None, *,
                 digest: bool = True) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, read entry by entry, each size checked before reading.

    ``limits`` maps an entry name to its largest size in bytes; an entry not named, or named
    with None, may have as many bytes as the largest limit (at least 1 MiB). With ``digest``
    the entry :data:`DIGEST` must be present and match (:func:`content_digest`).

    Raises
    ------
    ArchiveError
        A single ``.npy`` array, not a zip archive, bytes after its end, too many entries, an
        entry too large (by its declared or its actual size), compressed other than by deflate,
        not a ``.npy`` array (or a pickled one), no digest or one that does not match.
    """
    limits = limits or {}
    cap = max([n for n in limits.values() if n is not None] + [_SMALL_ENTRY])
    where = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise ArchiveError(f"{where}: is a single .npy array, not an .npz archive")
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 22))
            tail = fh.read()
        if size < 22 or tail[:4] != b"PK\x05\x06" or tail[20:22] != b"\x00\x00":
            raise ArchiveError(f"{where}: is not a complete .npz archive (its last 22 bytes are "
                               "not the end of a zip archive: truncated, or data appended)")
        out: dict[str, np.ndarray] = {}
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise ArchiveError(f"{where}: has {len(infos)} entries, more than the "
                                   f"{MAX_ENTRIES} allowed")
            for info in infos:
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                limit = limits.get(name) or cap
                if info.file_size > limit:
                    raise ArchiveError(f"{where}: entry {name[:40]!r} declares "
                                       f"{info.file_size:,} bytes, more than the {limit:,} it "
                                       "can need")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ArchiveError(f"{where}: entry {name[:40]!r}: compression method "
                                       f"{info.compress_type} (only stored or deflated)")
                with zf.open(info) as member:
                    data = member.read(limit + 1)
                if len(data) > limit:
                    raise ArchiveError(f"{where}: entry {name[:40]!r} holds more than the "
                                       f"{limit:,} bytes it can need")
                out[name] = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except ArchiveError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile,
            NotImplementedError, RuntimeError, MemoryError) as exc:
        raise ArchiveError(f"{where}: cannot be read as an .npz archive "
                           f"({type(exc).__name__}: {str(exc)[:120]})") from None
    if digest:
        stored = out.get(DIGEST)
        if stored is None:
            raise ArchiveError(f"{where}: has no {DIGEST} entry: it was written by an earlier "
                               "version of icq (archives now carry a SHA-256 of their arrays "
                               "and configuration); start again without --resume")
        if stored.dtype.kind != "U" or str(stored) != content_digest(out):
            raise ArchiveError(f"{where}: its content does not match its SHA-256 (the file is "
                               "damaged or was edited)")
    return out


def encode(tree: Any) -> dict[str, np.ndarray]:
    """Entries for ``tree`` (arrays, numbers, strings, None, lists, tuples, str-keyed dicts):
    the arrays as ``a0, a1, ...`` and the structure as JSON in ``__tree__``.

    Raises
    ------
    TypeError
        for any other type.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(x: Any) -> Any:
        if isinstance(x, np.ndarray | np.generic):
            arrays[f"a{len(arrays)}"] = np.asarray(x)
            return {"a": len(arrays) - 1, "scalar": isinstance(x, np.generic)}
        if x is None or isinstance(x, bool | str):
            return {"v": x}
        if isinstance(x, int):
            return {"i": str(x)}
        if isinstance(x, float):
            return {"f": x.hex()}
        if isinstance(x, list | tuple):
            return {"list" if isinstance(x, list) else "tuple": [walk(v) for v in x]}
        if isinstance(x, dict) and all(isinstance(k, str) for k in x):
            return {"dict": [[k, walk(v)] for k, v in x.items()]}
        raise TypeError(f"a result of type {type(x).__name__} cannot be stored in an archive")

    arrays[_TREE] = np.array(json.dumps(walk(tree)))
    return arrays


def decode(entries: dict[str, np.ndarray]) -> Any:
    """The tree :func:`encode` stored in ``entries``.

    Raises
    ------
    ArchiveError
        when the structure is not one :func:`encode` writes.
    """
    def walk(node: Any) -> Any:
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise ValueError("not a node")
        if "a" in node:
            a = entries[f"a{int(node['a'])}"]
            return a[()] if node.get("scalar") else a
        (kind, v), = node.items()
        if kind == "v" and (v is None or isinstance(v, bool | str)):
            return v
        if kind == "i":
            return int(v)
        if kind == "f":
            return float.fromhex(v)
        if kind in ("list", "tuple"):
            items = [walk(x) for x in v]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {str(k): walk(x) for k, x in v}
        raise ValueError(f"unknown node {kind!r}")

    try:
        return walk(json.loads(str(entries[_TREE])))
    except (KeyError, ValueError, TypeError, RecursionError) as exc:
        raise ArchiveError(f"the stored result's structure is not readable ({exc})") from None
