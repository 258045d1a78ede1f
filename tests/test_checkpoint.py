"""ad.save / ad.load: round trips across backends, and refusal of every kind of tampered file."""

from __future__ import annotations

import hashlib
import io
import json
import math
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import CheckpointError

BACKENDS = ["numpy", "torch", "array_api_strict"]


def present(name: str) -> bool:
    return name in ad.available_backends()


def model_and_optimizer() -> tuple[ad.nn.Module, ad.optim.Optimizer]:
    ad.random.seed(0)
    # BatchNorm first: a Linear's bias right before a BatchNorm has a gradient of pure round-off
    # (the normalisation cancels it), which Adam turns into steps that differ between backends.
    model = ad.nn.Sequential(ad.nn.BatchNorm1d(4), ad.nn.Linear(4, 6), ad.nn.ReLU(),
                             ad.nn.LayerNorm(6), ad.nn.Linear(6, 3))
    return model, ad.optim.Adam(model.parameters(), lr=0.01)


def batch(step: int) -> tuple[ad.Tensor, ad.Tensor]:
    rng = np.random.default_rng(step)
    return (ad.tensor(rng.normal(size=(8, 4)).astype(np.float32)),
            ad.tensor(rng.integers(0, 3, 8)))


def train(model: ad.nn.Module, optimizer: ad.optim.Optimizer, steps: range) -> list[float]:
    losses = []
    for step in steps:
        x, y = batch(step)
        loss = ad.losses.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def host_state(model: ad.nn.Module) -> dict[str, np.ndarray]:
    return {key: ad.to_numpy(value) for key, value in model.state_dict().items()}


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A checkpoint of a trained model and its Adam state, saved on numpy."""
    with ad.backend("numpy"):
        model, optimizer = model_and_optimizer()
        train(model, optimizer, range(3))
        path = tmp_path / "model.adckpt"
        ad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    return path


def rewrite(source: Path, target: Path, change) -> Path:
    """Copy the checkpoint ``source`` to ``target``, with ``change(members)`` applied to its
    members (a dict of name -> bytes, the manifest parsed as ``members['manifest']``)."""
    with zipfile.ZipFile(source) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["manifest"] = json.loads(members.pop("manifest.json"))
    change(members)
    manifest = members.pop("manifest")
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return target


def first_tensor_node(manifest: dict) -> dict:
    return manifest["root"]["items"][0][1]["items"][0][1]


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=array.dtype.hasobject)
    return buffer.getvalue()


# -- round trips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", BACKENDS)
def test_a_model_and_adam_state_saved_on_one_backend_continue_training_identically_on_another(
        backend, target, tmp_path):
    if not present(target):
        pytest.skip(f"{target} not installed")
    model, optimizer = model_and_optimizer()
    train(model, optimizer, range(3))
    path = tmp_path / "run.adckpt"
    ad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)
    expected = train(model, optimizer, range(3, 6))

    with ad.backend(target):
        restored, restored_optimizer = model_and_optimizer()  # fresh weights, empty Adam state
        state = ad.load(path)
        assert state["epoch"] == 3
        restored.load_state_dict(state["model"])
        restored_optimizer.load_state_dict(state["optimizer"])
        assert all(p.backend.name == target for p in restored.parameters())
        resumed = train(restored, restored_optimizer, range(3, 6))
    np.testing.assert_allclose(resumed, expected, rtol=1e-5, atol=1e-6)
    for key, value in host_state(model).items():
        np.testing.assert_allclose(host_state(restored)[key], value, rtol=1e-5, atol=1e-6)


def test_loaded_tensors_go_to_the_backend_in_force_or_the_one_named(checkpoint, backend):
    state = ad.load(checkpoint)
    assert state["model"]["1.weight"].backend.name == backend.name
    other = "numpy" if backend.name != "numpy" else "array_api_strict"
    assert ad.load(checkpoint, backend=other)["model"]["1.weight"].backend.name == other


def test_plain_values_come_back_with_their_types(tmp_path):
    tree = {"epoch": 7, "lr": 0.5, "name": "mlp", "nothing": None, "flag": True,
            "betas": (0.9, 0.999), "history": [1.5, float("inf"), -float("inf")],
            3: {"nested": [np.arange(6, dtype=np.int32).reshape(2, 3)]}, "nan": float("nan")}
    ad.save(tree, tmp_path / "c.adckpt")
    back = ad.load(tmp_path / "c.adckpt")
    assert list(back) == list(tree)
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["history"] == [1.5, math.inf, -math.inf] and math.isnan(back["nan"])
    assert back["flag"] is True and back["nothing"] is None and back["epoch"] == 7
    array = back[3]["nested"][0]
    assert isinstance(array, np.ndarray) and array.dtype == np.int32
    np.testing.assert_array_equal(array, np.arange(6).reshape(2, 3))


def test_integer_and_zero_dimensional_tensors_keep_their_dtype_and_shape(backend, tmp_path):
    ad.save({"count": ad.tensor(5), "ids": ad.tensor([[1, 2]], dtype=ad.int32)},
            tmp_path / "c.adckpt")
    back = ad.load(tmp_path / "c.adckpt")
    assert back["count"].shape == () and back["count"].dtype == "int64"
    assert back["ids"].shape == (1, 2) and back["ids"].dtype == "int32"


def test_bfloat16_is_stored_as_float32_and_restored_where_the_backend_has_it(tmp_path):
    if not present("torch"):
        pytest.skip("torch not installed")
    weights = ad.tensor([1.5, -2.25, 3.0], dtype=ad.bfloat16, backend="torch")
    ad.save({"w": weights}, tmp_path / "c.adckpt")
    with zipfile.ZipFile(tmp_path / "c.adckpt") as zf:
        node = json.loads(zf.read("manifest.json"))["root"]["items"][0][1]
        stored = np.lib.format.read_array(io.BytesIO(zf.read(node["member"])))
    assert node["dtype"] == "bfloat16" and stored.dtype == np.float32
    on_torch = ad.load(tmp_path / "c.adckpt", backend="torch")["w"]
    assert on_torch.dtype == "bfloat16" and on_torch.tolist() == [1.5, -2.25, 3.0]
    on_numpy = ad.load(tmp_path / "c.adckpt", backend="numpy")["w"]  # NumPy has no bfloat16
    assert on_numpy.dtype == "float32" and on_numpy.tolist() == [1.5, -2.25, 3.0]


def test_the_manifest_is_json_describing_every_array_with_its_hash(checkpoint):
    with zipfile.ZipFile(checkpoint) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        node = first_tensor_node(manifest)
        data = zf.read(node["member"])
    assert manifest["format"] == "ad_core.checkpoint" and manifest["version"] == 1
    assert node["type"] == "tensor" and node["dtype"] == "float32" and node["shape"] == [4]
    assert node["sha256"] == hashlib.sha256(data).hexdigest()


def test_save_refuses_values_a_checkpoint_cannot_hold_and_keeps_the_previous_file(tmp_path):
    path = tmp_path / "c.adckpt"
    ad.save({"w": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=r"obj\['f'\] is a function"):
        ad.save({"w": np.ones(3), "f": lambda: 0}, path)
    with pytest.raises(CheckpointError, match="keys must be strings or integers"):
        ad.save({(1, 2): 3}, path)
    with pytest.raises(CheckpointError, match="dtype object"):
        ad.save({"o": np.array([{}], dtype=object)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.adckpt"]  # no temporary left behind


# -- tampered files ------------------------------------------------------------------------------

def flip_array_byte(members):
    name = "arrays/0.npy"
    data = bytearray(members[name])
    data[-1] ^= 0xFF
    members[name] = bytes(data)


def missing_member(members):
    first_tensor_node(members["manifest"])["member"] = "arrays/999.npy"


def object_dtype_in_manifest(members):
    first_tensor_node(members["manifest"])["dtype"] = "object"


def object_array_member(members):
    data = npy(np.array([{"a": 1}, None], dtype=object))
    node = first_tensor_node(members["manifest"])
    members[node["member"]] = data
    node.update(sha256=hashlib.sha256(data).hexdigest(), shape=[2])


def shape_mismatch(members):
    first_tensor_node(members["manifest"])["shape"] = [2, 2]


def dtype_mismatch(members):
    first_tensor_node(members["manifest"])["dtype"] = "int32"


def wrong_format(members):
    members["manifest"]["format"] = "something.else"


def future_version(members):
    members["manifest"]["version"] = 2


def extra_member(members):
    members["payload.pkl"] = pickle.dumps(1)


def path_outside_the_archive(members):
    first_tensor_node(members["manifest"])["member"] = "../../etc/passwd"


def bad_node(members):
    members["manifest"]["root"]["items"][0][1]["items"][0][1] = {"type": "pickle", "value": "x"}


TAMPERING = [
    (flip_array_byte, r"(Bad CRC-32|does not match its SHA-256)"),
    (missing_member, r"names array member arrays/999\.npy, which the archive does not hold"),
    (object_dtype_in_manifest, r"dtype 'object' is not one a checkpoint may hold"),
    (object_array_member, r"is not a plain \.npy array"),
    (shape_mismatch, r"holds float32\[4\], but the manifest says float32\[2, 2\]"),
    (dtype_mismatch, r"holds float32\[4\], but the manifest says int32\[4\]"),
    (wrong_format, r"is not an ad_core checkpoint: its manifest's format is 'something\.else'"),
    (future_version, r"format version 2 is not one this ad_core reads"),
    (extra_member, r"members the manifest does not describe: payload\.pkl"),
    (path_outside_the_archive, r"is not of the form 'arrays/<n>\.npy'"),
    (bad_node, r"manifest is malformed at root\['model'\]\['0\.weight'\]"),
]


@pytest.mark.parametrize("change, message", TAMPERING, ids=[c.__name__ for c, _ in TAMPERING])
def test_a_hand_crafted_checkpoint_is_refused_with_a_message(checkpoint, tmp_path, change,
                                                             message):
    bad = rewrite(checkpoint, tmp_path / "bad.adckpt", change)
    with pytest.raises(CheckpointError, match=message):
        ad.load(bad)


def test_a_flipped_byte_in_the_data_is_caught_by_the_sha256_even_with_a_matching_crc(
        checkpoint, tmp_path):
    def flip(members):
        flip_array_byte(members)  # rewrite() recomputes the zip's CRC-32 for the new bytes

    with pytest.raises(CheckpointError, match=r"arrays/0\.npy does not match its SHA-256"):
        ad.load(rewrite(checkpoint, tmp_path / "bad.adckpt", flip))


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_checkpoint_is_refused(checkpoint, tmp_path, cut):
    data = checkpoint.read_bytes()
    bad = tmp_path / "cut.adckpt"
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(CheckpointError, match="cut.adckpt is not an ad_core checkpoint"):
        ad.load(bad)


@pytest.mark.parametrize("position", [0.02, 0.3, 0.6, 0.97])
def test_a_flipped_byte_anywhere_in_the_file_is_refused(checkpoint, tmp_path, position):
    data = bytearray(checkpoint.read_bytes())
    data[int(len(data) * position)] ^= 0x55
    bad = tmp_path / "flipped.adckpt"
    bad.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        ad.load(bad)


class Payload:
    """Unpickling this would create a file: the proof that load never unpickles."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_renamed_to_the_checkpoint_extension_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "model.adckpt"
    bad.write_bytes(pickle.dumps({"model": Payload(marker)}))
    with pytest.raises(CheckpointError, match="model.adckpt is not an ad_core checkpoint: it is "
                                              "not a readable zip archive"):
        ad.load(bad)
    assert not marker.exists()


def test_an_npz_holding_a_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "model.adckpt"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("arrays/0.npy", npy(np.array([Payload(marker)], dtype=object)))
    with pytest.raises(CheckpointError, match="it has no manifest.json"):
        ad.load(bad)
    assert not marker.exists()


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        ad.load(tmp_path / "nowhere.adckpt")


def test_a_failed_load_leaves_the_model_and_optimizer_untouched(checkpoint, tmp_path, backend):
    model, optimizer = model_and_optimizer()
    train(model, optimizer, range(2))
    before, adam_before = host_state(model), optimizer.state_dict()
    bad = rewrite(checkpoint, tmp_path / "bad.adckpt", flip_array_byte)
    with pytest.raises(CheckpointError):
        state = ad.load(bad)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    for key, value in before.items():
        np.testing.assert_array_equal(host_state(model)[key], value)
    after = optimizer.state_dict()
    assert after["param_groups"] == adam_before["param_groups"]
    for index, entries in adam_before["state"].items():
        np.testing.assert_array_equal(after["state"][index]["exp_avg"], entries["exp_avg"])


@pytest.mark.parametrize("manifest, message", [
    (b"{not json", "manifest.json is not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "manifest.json is not valid JSON, or is nested too deeply"),
    (b'{"format": "ad_core.checkpoint", "version": 1, "root": {"type": "float", "value": NaN}}',
     "manifest.json is not valid JSON"),
    (b'{"format": "ad_core.checkpoint", "version": 1, "root": ' + b'{"type": "list", "items": ['
     * 100 + b"]}" * 100 + b"}", "nested more than 64 levels deep"),
])
def test_a_manifest_that_is_not_plain_shallow_json_is_refused(tmp_path, manifest, message):
    bad = tmp_path / "bad.adckpt"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("manifest.json", manifest)
    with pytest.raises(CheckpointError, match=message):
        ad.load(bad)
