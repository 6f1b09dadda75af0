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
from training.train import (  # noqa: E402
    MouthGeometry,
    Sampler,
    event_loss,
    kmeans,
    load_groups,
    losses,
    rig_matrix,
)


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


def geometry() -> MouthGeometry:
    return MouthGeometry(torch.from_numpy(rig_matrix()))


def test_mouth_geometry_measures_what_the_metrics_measure():
    from training.features import CHANNEL_INDEX
    from voxrig.core.rig import mouth_signals

    rng = np.random.default_rng(1)
    w = np.zeros((5, 52), np.float32)
    w[:, CHANNEL_INDEX] = rng.uniform(0, 0.6, (5, 30))
    gap, _ = mouth_signals(w)
    assert np.allclose(geometry().gap_mm(torch.from_numpy(w[:, CHANNEL_INDEX])).numpy(), gap,
                       atol=1e-3)


def _pose(**channels: float) -> torch.Tensor:
    from training.features import CHANNELS

    w = torch.zeros(1, 1, len(CHANNELS))
    for name, value in channels.items():
        w[0, 0, CHANNELS.index(name)] = value
    return w


def _phone(label: str) -> torch.Tensor:
    from training.features import PHONES

    return torch.tensor([[PHONES.index(label)]])


def test_event_loss_pulls_only_towards_the_pose_the_target_commits_to():
    g = geometry()
    closed, open_ = _pose(), _pose(jawOpen=0.4)
    m, aa = _phone("M"), _phone("AA")
    assert float(event_loss(closed, closed, m, g)) == 0.0  # lips together, as wanted
    assert float(event_loss(open_, open_, aa, g)) == 0.0  # wide open, as wanted
    assert float(event_loss(open_, closed, m, g)) > 1.0  # should meet for /m/, stays apart
    assert float(event_loss(closed, open_, aa, g)) > 1.0  # should open, stays shut
    halfway = _pose(jawOpen=0.1)  # a target between the thresholds commits to nothing
    assert float(event_loss(open_, halfway, aa, g)) == 0.0


def test_event_loss_lets_the_mouth_start_opening_in_a_pause():
    g = geometry()  # at rest before a voice, anticipating the first vowel is no error here
    assert float(event_loss(_pose(jawOpen=0.2), _pose(), _phone("sil"), g)) == 0.0
    assert float(event_loss(_pose(jawOpen=0.2), _pose(), torch.tensor([[-1]]), g)) == 0.0


def test_the_phone_head_learns_only_from_crops_that_were_not_told_their_phones():
    torch.manual_seed(0)
    model = AudioToFace(ModelConfig(width=8, dilations=(1, 2), prototypes=4, phone_head=True))
    rig = torch.from_numpy(rig_matrix())
    mel, target = torch.randn(2, 30, 80), torch.rand(2, 30, 30) * 0.3
    given, mask = torch.zeros(2, 30, 40), torch.ones(2, 30)
    heard = torch.randint(0, 40, (2, 30))
    untold, told = torch.zeros(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool)
    parts = losses(model, (mel, target, given, mask, heard, untold), rig, geometry())
    assert float(parts["phones"].detach()) > 0
    said = losses(model, (mel, target, given, mask, heard, told), rig, geometry())
    assert float(said["phones"].detach()) == 0.0
    unknown = losses(model, (mel, target, given, mask, torch.full((2, 30), -1), untold), rig,
                     geometry())
    assert float(unknown["phones"].detach()) == 0.0
    path_free = AudioToFace(ModelConfig(width=8, dilations=(1, 2), prototypes=4))
    assert "phones" not in losses(path_free, (mel, target, given, mask, heard, untold), rig,
                                  geometry())


def test_input_masking_hides_a_few_bands_and_moments_and_nothing_else():
    sampler = Sampler({}, 256, seed=0, shares={}, masking=1.0, fill=np.full(80, -5.0, np.float32))
    seen = 0
    for _ in range(20):
        mel = np.zeros((256, 80), np.float32)
        sampler._mask_input(mel)
        hidden = mel == -5.0
        bands = np.flatnonzero(hidden.all(axis=0))
        moments = np.flatnonzero(hidden.all(axis=1))
        assert len(bands) <= 20 and len(moments) <= 8  # two of ≤ 10 bins, two of ≤ 40 ms
        # every hidden cell lies in a hidden band or moment: no scattered noise
        assert np.all(hidden == (hidden.all(axis=0)[None] | hidden.all(axis=1)[:, None]))
        seen += len(bands) + len(moments)
    assert seen > 0


def test_the_real_lip_loss_asks_only_for_the_shape_of_the_tracked_motion():
    from training.features import CHANNELS
    from training.train import real_lips_loss

    m = geometry()
    jaw = torch.zeros(1, 50, len(CHANNELS))
    jaw[0, :, CHANNELS.index("jawOpen")] = torch.linspace(0.0, 0.3, 50)  # lips parting
    rising = torch.linspace(0.1, 0.4, 50)[None]  # tracked in its own units
    assert real_lips_loss(jaw, rising, m).item() == pytest.approx(0.0, abs=1e-3)
    assert real_lips_loss(jaw, 3.0 * rising + 1.0, m).item() == pytest.approx(0.0, abs=1e-3)
    assert real_lips_loss(jaw, rising.flip(1), m).item() == pytest.approx(2.0, abs=1e-3)
    untracked = torch.full((1, 50), float("nan"))
    assert real_lips_loss(jaw, untracked, m).item() == 0.0  # nothing to learn from
    partly = rising.clone()
    partly[0, :10] = float("nan")  # frames without a face are left out, not zeros
    assert real_lips_loss(jaw, partly, m).item() == pytest.approx(0.0, abs=1e-3)


def test_a_held_out_facegood_clip_is_never_sampled_nor_counted_in_the_statistics(tmp_path):
    # three utterances of 4, 3 and 5 frames; the middle one is the clip held out
    lengths, sources = [4, 3, 5], np.array(["1114_2_01", "1114_2_05", "1114_2_02"])
    frames = sum(lengths)
    mel = np.arange(frames, dtype=np.float16)[:, None].repeat(80, axis=1)
    np.savez(tmp_path / "facegood.npz", mel=mel,
             weights=np.zeros((frames, 30), np.float16), phones=np.full(frames, -1, np.int8),
             lips=np.full(frames, np.nan, np.float16),
             offsets=np.concatenate([[0], np.cumsum(lengths)]), sources=sources)
    group = load_groups(tmp_path, held_out="1114_2_05")["facegood"]
    assert list(group.mel[:, 0]) == [0, 1, 2, 3, 7, 8, 9, 10, 11]
    assert list(group.starts) == [0, 4] and list(group.ends) == [4, 9]
    every = load_groups(tmp_path, held_out="none of them")["facegood"]
    assert len(every.mel) == frames


def test_the_phone_head_exports_as_log_posteriors_equal_to_torch_in_one_call_or_streamed(
        tmp_path):
    torch.manual_seed(0)
    model = AudioToFace(ModelConfig(width=8, dilations=(1, 2), phone_head=True))
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3)
    path = tmp_path / "headed.onnx"
    export(model.eval(), path, phone_logp=True)
    result = check(model, path)
    # log posteriors are not bounded like the face outputs in [0, 1]: an AVX2 machine's
    # float32 kernels differed from torch's by 1.3e-4 on them
    assert result["phone_logp_onnx_vs_torch"] < 1e-3
    assert result["phone_logp_stream_vs_whole"] < 1e-3
    assert result["onnx_vs_torch"] < 1e-4
