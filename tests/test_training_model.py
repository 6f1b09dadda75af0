"""The training recipe's network and export (torch, from the `train` extra): what ships must
equal what was trained, in one call or 10 ms at a time."""

import os

import numpy as np
import pytest

try:
    import torch
except ImportError:  # CI installs the `train` extra: there a missing torch is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("the training recipe needs the `train` extra (torch)", allow_module_level=True)

from training.export import check, export, metadata  # noqa: E402
from training.model import AudioToFace, ModelConfig  # noqa: E402
from training.train import kmeans, rig_matrix  # noqa: E402


def tiny(prototypes: int = 4) -> AudioToFace:
    torch.manual_seed(0)
    model = AudioToFace(ModelConfig(width=8, dilations=(1, 2), prototypes=prototypes))
    for p in model.parameters():  # zero-initialised heads would hide mistakes
        torch.nn.init.normal_(p, std=0.3)
    return model.eval()


def run(model, mel, phones):
    with torch.no_grad():
        return model(mel, phones, *model.zero_caches(len(mel)))


def test_the_output_never_depends_on_input_later_than_itself():
    model = tiny()
    mel = torch.randn(1, 40, 80)
    phones = torch.zeros(1, 40, 40)
    changed = mel.clone()
    changed[:, 25:] += 5.0
    a, b = run(model, mel, phones)[0], run(model, changed, phones)[0]
    assert torch.allclose(a[:, :25], b[:, :25])
    assert not torch.allclose(a[:, 25:], b[:, 25:])


def test_prototype_weights_are_a_softmax_over_the_memory():
    choice = run(tiny(prototypes=6), torch.randn(2, 30, 80), torch.zeros(2, 30, 40))[2]
    assert choice.shape == (2, 30, 6)
    assert torch.allclose(choice.sum(-1), torch.ones(2, 30), atol=1e-5)


def test_phones_modulate_the_features_and_zeros_leave_audio_alone():
    model = tiny()
    mel = torch.randn(1, 20, 80)
    silent, heard = torch.zeros(1, 20, 40), torch.zeros(1, 20, 40)
    heard[0, :, 3] = 1.0
    assert not torch.allclose(run(model, mel, silent)[0], run(model, mel, heard)[0])
    fresh = AudioToFace(ModelConfig(width=8, dilations=(1, 2), prototypes=0))
    assert torch.equal(fresh.film.weight, torch.zeros_like(fresh.film.weight))  # starts as
    # identity: the phone stream can only add to what audio alone gives


def test_onnx_equals_torch_and_streaming_equals_one_call(tmp_path):
    model = tiny()
    path = tmp_path / "tiny.onnx"
    export(model, path)
    result = check(model, path)
    assert result["onnx_vs_torch"] < 1e-4
    assert result["stream_vs_whole"] < 1e-4


def test_the_exported_file_describes_itself():
    meta = metadata(tiny())
    assert meta["format"] == "voxrig.a2f" and len(meta["channels"]) == 30
    assert meta["delay_frames"] * 10 <= 100  # look-ahead bounded to 100 ms
    assert meta["caches"][0] == [80, 4]  # first conv: kernel 5, no dilation


def test_rig_matrix_turns_weights_into_the_rigs_keypoints():
    from training.features import CHANNEL_INDEX
    from voxrig.core.rig import keypoints

    w = np.zeros((1, 52), np.float32)
    w[0, CHANNEL_INDEX] = np.linspace(0, 1, 30)
    expected = keypoints(w).reshape(1, -1)
    assert np.allclose(w[:, CHANNEL_INDEX] @ rig_matrix(), expected, atol=1e-5)


def test_kmeans_finds_well_separated_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
    x = np.concatenate([c + 0.1 * rng.standard_normal((50, 2)) for c in centres])
    found = kmeans(x, 3, seed=0)
    assert np.abs(np.sort(found, axis=0) - np.sort(centres, axis=0)).max() < 0.1
