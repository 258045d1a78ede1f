"""Safe checkpoints: :func:`save` and :func:`load` for state dicts, in a pickle-free format.

A checkpoint is a zip archive (like NumPy's ``.npz``) holding

* ``manifest.json``: ``{"format": "ad_core.checkpoint", "version": 1, "root": <node>}``, where a
  node describes one value of the saved tree: ``{"type": "dict", "items": [[key, node], ...]}``
  (keys are strings or integers, order kept), ``"list"`` and ``"tuple"`` with ``"items": [node,
  ...]``, ``"none"``, ``"bool"``/``"int"``/``"float"``/``"str"`` with a ``"value"`` (a float that
  is not finite is written as the string ``"nan"``, ``"inf"`` or ``"-inf"``), and ``"tensor"``
  (an ad_core tensor) or ``"ndarray"`` (a NumPy array) with ``"member"``, ``"dtype"``, ``"shape"``
  and ``"sha256"``;
* one ``arrays/<n>.npy`` member per array, written and read by NumPy with
  ``allow_pickle=False``. ``"sha256"`` is the SHA-256 of that member's bytes. A bfloat16 tensor
  (which NumPy cannot hold) is stored as float32 — exact — with ``"dtype": "bfloat16"``.

Loading never executes anything from the file: no pickle, no imports, only JSON and raw numbers.
The archive, the manifest, every member's size, hash, dtype and shape are checked before a single
tensor is built, and any problem raises :class:`~ad_core.errors.CheckpointError` naming it. A
failed load changes nothing: :func:`load` returns a new tree, and ``model.load_state_dict``
validates it before copying.

>>> import os, tempfile, ad_core as ad
>>> path = os.path.join(tempfile.mkdtemp(), "w.adckpt")
>>> ad.save({"w": ad.tensor([1.0, 2.0]), "step": 3}, path)
>>> state = ad.load(path)
>>> state["w"].tolist(), state["step"]
([1.0, 2.0], 3)
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import secrets
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.tensor import Tensor
from ad_core.backends.registry import load_backend
from ad_core.backends.selection import get_backend
from ad_core.errors import CheckpointError, DTypeError

__all__ = ["FORMAT", "VERSION", "save", "load"]

#: The format name written in every manifest.
FORMAT = "ad_core.checkpoint"
#: The format version this module writes and reads.
VERSION = 1

_MANIFEST = "manifest.json"
_MEMBER = re.compile(r"arrays/(0|[1-9][0-9]*)\.npy")
#: The dtypes a checkpoint may hold (NumPy names, plus bfloat16 stored as float32).
_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                     "uint64", "float16", "float32", "float64", "complex64", "complex128"})
_MAX_DEPTH = 64
_MAX_MANIFEST_BYTES = 64 * 2**20
_MAX_HEADER_BYTES = 65536  # a .npy header is at most this long (NumPy's own limit is smaller)


# -- saving -------------------------------------------------------------------------------------

def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (a state dict, or a tree of them) to ``path`` as a safe checkpoint.

    ``obj`` may nest dicts (string or integer keys), lists and tuples of ad_core tensors, NumPy
    arrays, ints, floats, bools, strings and None: what ``model.state_dict()`` and
    ``optimizer.state_dict()`` return, or ``{"model": ..., "optimizer": ..., "epoch": 3}``.
    Tensors of any backend and device are copied to host memory. The file is written next to
    ``path`` and then renamed over it, so an interrupted save never leaves a half-written
    checkpoint behind in place of the previous one.
    """
    arrays: list[bytes] = []
    root = _encode(obj, arrays, "obj", 0)
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root},
                          allow_nan=False).encode("utf-8")
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    temporary = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr(_MANIFEST, manifest)
            for i, data in enumerate(arrays):
                zf.writestr(f"arrays/{i}.npy", data)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _encode(value: Any, arrays: list[bytes], where: str, depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"save: {where} is nested more than {_MAX_DEPTH} levels deep")
    if value is None:
        return {"type": "none"}
    if isinstance(value, bool | np.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, int | np.integer):
        return {"type": "int", "value": int(value)}
    if isinstance(value, float | np.floating):
        number = float(value)
        return {"type": "float", "value": number if math.isfinite(number) else repr(number)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, Tensor):
        host = value.numpy()
        dtype = value.dtype.name
        if dtype == "bfloat16":
            host = host.astype(np.float32)
        return _array_node("tensor", host, dtype, arrays, where)
    if isinstance(value, np.ndarray):
        return _array_node("ndarray", value, value.dtype.name, arrays, where)
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise CheckpointError(f"save: {where} has a key {key!r} of type "
                                      f"{type(key).__name__}; keys must be strings or integers")
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]", depth + 1)])
        return {"type": "dict", "items": items}
    if isinstance(value, list | tuple):
        return {"type": "list" if isinstance(value, list) else "tuple",
                "items": [_encode(item, arrays, f"{where}[{i}]", depth + 1)
                          for i, item in enumerate(value)]}
    raise CheckpointError(
        f"save: {where} is a {type(value).__name__}, which a checkpoint cannot hold; it holds "
        f"tensors, NumPy arrays, numbers, strings, None, and dicts/lists/tuples of them"
    )


def _array_node(kind: str, host: np.ndarray, dtype: str, arrays: list[bytes],
                where: str) -> dict[str, Any]:
    if host.dtype.name not in _DTYPES:
        raise CheckpointError(f"save: {where} has dtype {host.dtype.name}, which a checkpoint "
                              f"cannot hold (numeric and bool arrays only)")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(host), allow_pickle=False)
    data = buffer.getvalue()
    member = f"arrays/{len(arrays)}.npy"
    arrays.append(data)
    return {"type": kind, "member": member, "dtype": dtype, "shape": list(host.shape),
            "sha256": hashlib.sha256(data).hexdigest()}


# -- loading ------------------------------------------------------------------------------------

def load(path: str | os.PathLike[str], backend: str | None = None, device: Any = None) -> Any:
    """Read a checkpoint written by :func:`save`, after checking all of it.

    Saved tensors become tensors on ``backend``/``device`` (by default the backend and device
    in force), whatever backend saved them; NumPy arrays stay NumPy arrays; numbers, strings,
    None, dicts, lists and tuples come back as they were. bfloat16 tensors come back as
    bfloat16 where the backend has it and as (exact) float32 where it does not.

    Raises :class:`~ad_core.errors.CheckpointError` for a file that is not a checkpoint, is
    truncated or corrupted, or whose manifest does not match its arrays; nothing is built then.
    """
    target = os.fspath(path)
    name = os.path.basename(target)
    if backend is not None:
        load_backend(backend).device(device)  # a bad backend or device fails before reading
    try:
        archive = zipfile.ZipFile(target, "r")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CheckpointError(f"{name} is not an ad_core checkpoint: it is not a readable zip "
                              f"archive (truncated, corrupted, or another kind of file such as "
                              f"a pickle): {exc}") from None
    with archive:
        manifest = _read_manifest(archive, name)
        nodes: list[dict[str, Any]] = []
        _check_node(manifest["root"], name, "root", 0, nodes)
        members = [node["member"] for node in nodes]
        if len(set(members)) != len(members):
            raise CheckpointError(f"{name}: the manifest names one array member twice")
        hosts = {node["member"]: _read_array(archive, node, name) for node in nodes}
        extra = sorted(set(archive.namelist()) - {_MANIFEST, *members})
        if extra:
            raise CheckpointError(f"{name}: the archive holds members the manifest does not "
                                  f"describe: {', '.join(extra[:5])}")
    return _build(manifest["root"], hosts, backend, device)


def _read_manifest(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        info = archive.getinfo(_MANIFEST)
    except KeyError:
        raise CheckpointError(f"{name} is not an ad_core checkpoint: it has no {_MANIFEST}") from None
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise CheckpointError(f"{name}: {_MANIFEST} is {info.file_size} bytes, more than the "
                              f"{_MAX_MANIFEST_BYTES} a checkpoint's manifest may have")
    try:
        manifest = json.loads(_read_member(archive, info, name).decode("utf-8"),
                              parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError included
        raise CheckpointError(f"{name}: {_MANIFEST} is not valid JSON, or is nested too deeply "
                              f"({type(exc).__name__}: {exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not an ad_core checkpoint: its manifest's format is "
                              f"{_get(manifest, 'format')!r}, not {FORMAT!r}")
    version = manifest.get("version")
    if version != VERSION or isinstance(version, bool):
        raise CheckpointError(f"{name}: checkpoint format version {version!r} is not one this "
                              f"ad_core reads (it reads version {VERSION})")
    if "root" not in manifest:
        raise CheckpointError(f"{name}: the manifest has no 'root'")
    return manifest


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"the constant {token} is not JSON")


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    try:
        return archive.read(info)  # checks the member's CRC-32 as it reads
    # NotImplementedError: zipfile's answer to a compression method it does not know, which a
    # hand-crafted file may name
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise CheckpointError(f"{name}: member {info.filename} cannot be read (the file is "
                              f"truncated or corrupted): {exc}") from None


_FIELDS = {
    "none": set(), "bool": {"value"}, "int": {"value"}, "float": {"value"}, "str": {"value"},
    "dict": {"items"}, "list": {"items"}, "tuple": {"items"},
    "tensor": {"member", "dtype", "shape", "sha256"}, "ndarray": {"member", "dtype", "shape", "sha256"},
}
_SCALARS = {"bool": bool, "int": int, "str": str}


def _check_node(node: Any, name: str, where: str, depth: int, arrays: list[dict[str, Any]]) -> None:
    """Check one manifest node (and those below it); collect the array nodes in ``arrays``."""
    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"{name}: the manifest is malformed at {where}: {what}")

    if depth > _MAX_DEPTH:
        raise bad(f"nested more than {_MAX_DEPTH} levels deep")
    if not isinstance(node, dict) or node.get("type") not in _FIELDS:
        raise bad(f"expected a node with a known 'type', got {node!r:.80}")
    kind = node["type"]
    if set(node) != {"type"} | _FIELDS[kind]:
        raise bad(f"a {kind!r} node has fields {sorted(node)}, expected "
                  f"{sorted({'type'} | _FIELDS[kind])}")
    if kind == "none":
        return
    if kind in _SCALARS:
        value = node["value"]
        if type(value) is not _SCALARS[kind]:
            raise bad(f"a {kind!r} node holds a {type(value).__name__}")
    elif kind == "float":
        value = node["value"]
        if not (type(value) in (int, float) or value in ("nan", "inf", "-inf")):
            raise bad(f"a 'float' node holds {value!r:.40}")
    elif kind in ("list", "tuple"):
        if not isinstance(node["items"], list):
            raise bad(f"a {kind!r} node's items are not a list")
        for i, item in enumerate(node["items"]):
            _check_node(item, name, f"{where}[{i}]", depth + 1, arrays)
    elif kind == "dict":
        if not isinstance(node["items"], list):
            raise bad("a 'dict' node's items are not a list")
        keys = set()
        for pair in node["items"]:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) in (str, int)):
                raise bad(f"a dict item is not a [key, node] pair with a string or integer key: "
                          f"{pair!r:.80}")
            if pair[0] in keys:
                raise bad(f"the key {pair[0]!r} appears twice")
            keys.add(pair[0])
            _check_node(pair[1], name, f"{where}[{pair[0]!r}]", depth + 1, arrays)
    else:
        member, dtype, shape, digest = node["member"], node["dtype"], node["shape"], node["sha256"]
        if not (isinstance(member, str) and _MEMBER.fullmatch(member)):
            raise bad(f"array member name {member!r:.80} is not of the form 'arrays/<n>.npy'")
        if dtype not in _DTYPES and not (kind == "tensor" and dtype == "bfloat16"):
            raise bad(f"dtype {dtype!r:.40} is not one a checkpoint may hold")
        if not (isinstance(shape, list)
                and all(type(n) is int and n >= 0 for n in shape) and len(shape) <= 64):
            raise bad(f"shape {shape!r:.80} is not a list of sizes")
        if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise bad("the sha256 is not 64 lowercase hexadecimal digits")
        arrays.append(node)


def _read_array(archive: zipfile.ZipFile, node: dict[str, Any], name: str) -> np.ndarray:
    member = node["member"]
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise CheckpointError(f"{name}: the manifest names array member {member}, which the "
                              f"archive does not hold") from None
    stored = np.dtype("float32" if node["dtype"] == "bfloat16" else node["dtype"])
    expected = math.prod(node["shape"]) * stored.itemsize
    if info.file_size > expected + _MAX_HEADER_BYTES:
        raise CheckpointError(f"{name}: member {member} is {info.file_size} bytes, too large "
                              f"for an array of shape {tuple(node['shape'])} and dtype "
                              f"{node['dtype']}")
    data = _read_member(archive, info, name)
    if hashlib.sha256(data).hexdigest() != node["sha256"]:
        raise CheckpointError(f"{name}: member {member} does not match its SHA-256 in the "
                              f"manifest (the file was corrupted or altered)")
    try:
        host = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # an object array, a bad header: NumPy's own refusal
        raise CheckpointError(f"{name}: member {member} is not a plain .npy array "
                              f"({type(exc).__name__}: {exc})") from None
    if host.dtype != stored or list(host.shape) != node["shape"]:
        raise CheckpointError(f"{name}: member {member} holds {host.dtype.name}"
                              f"{list(host.shape)}, but the manifest says {stored.name}"
                              f"{node['shape']}")
    return host


def _build(node: dict[str, Any], hosts: dict[str, np.ndarray], backend: str | None,
           device: Any) -> Any:
    kind = node["type"]
    if kind == "none":
        return None
    if kind == "float":
        return float(node["value"])
    if kind in _SCALARS:
        return node["value"]
    if kind == "dict":
        return {key: _build(item, hosts, backend, device) for key, item in node["items"]}
    if kind in ("list", "tuple"):
        items = [_build(item, hosts, backend, device) for item in node["items"]]
        return items if kind == "list" else tuple(items)
    host = hosts[node["member"]]
    if kind == "ndarray":
        return host
    dtype = node["dtype"]
    where = load_backend(backend) if backend is not None else get_backend()
    if dtype == "bfloat16" and not where.supports("bfloat16"):
        dtype = "float32"
    elif not where.supports(dtype):
        raise DTypeError(f"load: the checkpoint's array {node['member']!r} is {dtype}, which "
                         f"backend {where.name!r} cannot hold; load it onto another backend "
                         f"(ad.load(path, backend=...)) and cast it there")
    return tensor(host, dtype=dtype, backend=backend, device=device)
