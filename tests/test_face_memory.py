"""S1's mouth-shape memory (issue 17): the sound around each video frame it weighs the
prototypes by, the memory mouth it blends, and a face that carries a memory in its .voxface
(written, read, checked, rendered with)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from voxrig.bridge.render.command import DEMO_FACE
from voxrig.bridge.render.voxface import Face, open_generator, read_face, write_face
from voxrig.core.errors import VoxrigError
from voxrig.core.face_memory import (
    CONTEXT_LEAD,
    CONTEXT_MEL,
    MouthMemory,
    blend,
    sound_context,
)
from voxrig.core.face_render import IN_CHANNELS, MEMORY_CHANNELS, Generator, Placement, dub

torch = pytest.importorskip("torch", reason="the test memory faces are built with torch")


def test_each_frame_hears_the_sound_centred_on_it_at_any_frame_rate() -> None:
    sound = np.arange(300, dtype=np.float32)[:, None] * np.ones((1, 80), np.float32)
    at_25 = sound_context(sound, 10, 25.0)
    assert at_25.shape == (1, 80, CONTEXT_MEL)
    # frame 10 at 25 fps starts at 0.4 s = log-mel frame 40; the window runs 16 frames before
    assert at_25[0, 0, 0] == 40 - CONTEXT_LEAD and at_25[0, 0, -1] == 40 - 16 + 35
    assert sound_context(sound, 12, 30.0)[0, 0, CONTEXT_LEAD] == 40  # 0.4 s at 30 fps too
    # past either end of the sound: the clip's quietest value
    assert (sound_context(sound, 0, 25.0)[0, 0, :CONTEXT_LEAD] == 0).all()
    assert (sound_context(sound, 74, 25.0)[0, 0, -5:] == 0).all()


def test_the_memory_mouth_is_the_prototypes_blended_by_their_weights() -> None:
    prototypes = np.stack([np.zeros((96, 96, 3), np.uint8), np.full((96, 96, 3), 200, np.uint8)])
    mixed = blend(prototypes, np.array([[1.0, 0.0], [0.25, 0.75], [0.0, 1.0]]))
    assert mixed.dtype == np.uint8 and mixed.shape == (3, 96, 96, 3)
    assert [int(m[0, 0, 0]) for m in mixed] == [0, 150, 200]


def sound_network(prototypes: int = 4) -> bytes:
    """A small untrained sound -> prototype-logits network as ONNX."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(80 * CONTEXT_MEL, prototypes))
    buffer = io.BytesIO()
    torch.onnx.export(net, (torch.zeros(1, 1, 80, CONTEXT_MEL),), buffer, input_names=["s"],
                      output_names=["w"], dynamic_axes={"s": {0: "n"}, "w": {0: "n"}},
                      opset_version=17, dynamo=False)
    return buffer.getvalue()


def memory_face(prototypes: int = 4) -> Face:
    """The demo face with a 12-channel generator and a memory of `prototypes` mouths."""
    from voxrig.core.face_train import MouthUNet, export

    torch.manual_seed(0)
    buffer = io.BytesIO()
    export(MouthUNet((8, 8, 8, 8), in_channels=IN_CHANNELS + MEMORY_CHANNELS), buffer)
    demo = read_face(DEMO_FACE)
    mouths = np.random.default_rng(0).integers(0, 256, (prototypes, 96, 96, 3), dtype=np.uint8)
    return Face(demo.name, buffer.getvalue(), demo.reference, demo.template, demo.ict_a,
                demo.ict_t, demo.mask_row, sound_network(prototypes), mouths)


def test_a_face_with_a_memory_reads_back_and_weighs_its_prototypes_from_the_sound(
        tmp_path) -> None:
    path = tmp_path / "memory.voxface"
    write_face(path, memory_face(), source="test", license="CC BY 4.0")
    face = read_face(path)
    assert face.memory is not None and face.prototypes.shape == (4, 96, 96, 3)
    generate = open_generator(face, str(path))
    assert generate.memory is not None
    speech = np.random.default_rng(1).normal(0, 0.1, 16000).astype(np.float32)
    weights = generate.memory.weights(speech, 25, 25.0)
    assert weights.shape == (25, 4) and np.allclose(weights.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(generate.conditions(speech, 25, 25.0), weights)
    mouths = generate.memory.mouths(weights)
    assert mouths.shape == (25, 96, 96, 3) and mouths.dtype == np.uint8
    # without the sound (an edited clip rendered silent): the prototypes' mean
    unheard = generate.conditions(None, 25, 25.0)
    assert np.allclose(unheard, 0.25)
    # a dub draws with them: 12 channels in, each output frame with its own memory mouth
    frames = np.full((3, 288, 360, 3), 128, np.uint8)
    place = Placement(face.ict_a, face.ict_t, np.zeros((68, 3), np.float32))
    out = list(dub(frames, np.ones(3, complex), np.zeros(3, complex), face.reference, place,
                   np.zeros((3, 68, 3), np.float32), generate, weights[:3]))
    assert len(out) == 3 and out[0].shape == (288, 360, 3)


def test_a_generator_is_given_memory_weights_exactly_when_its_face_has_a_memory() -> None:
    crops = np.zeros((1, 96, 96, 3), np.uint8)
    templates = np.zeros((1, 3, 96, 96), np.float32)
    plain = Generator(lambda x: x[:, :3])
    assert plain.conditions(None, 5, 25.0) is None
    with pytest.raises(ValueError, match="exactly when"):
        plain(crops, crops, templates, np.ones((1, 1)))
    prototypes = np.full((2, 96, 96, 3), 255, np.uint8)
    remembering = Generator(lambda x: x[:, -3:], memory=MouthMemory(lambda s: s, prototypes))
    with pytest.raises(ValueError, match="exactly when"):
        remembering(crops, crops, templates)
    # the network sees the blended memory mouth as its last 3 channels
    drawn = remembering(crops, crops, templates, np.array([[0.5, 0.5]]))
    assert drawn.shape == (1, 3, 96, 96) and np.allclose(drawn, 1.0)


def rewritten(tmp_path, face: Face, drop: str = "", replace: dict | None = None) -> object:
    """A memory face's file with one part left out or replaced."""
    good = tmp_path / "good.voxface"
    write_face(good, face, source="test", license="CC BY 4.0")
    out = tmp_path / "bad.voxface"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            if item != drop:
                dst.writestr(item, (replace or {}).get(item, src.read(item)))
    return out


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize(("drop", "replace", "reason"), [
    ("prototypes.npy", None, "its mouth memory has no prototypes.npy"),
    ("memory.onnx", None, "its mouth memory has no memory.onnx"),
    ("", {"prototypes.npy": b"not an array"}, "its mouth memory is damaged"),
    ("", {"prototypes.npy": npy(np.zeros((4, 48, 48, 3), np.uint8))}, "prototypes of shape"),
    ("", {"prototypes.npy": npy(np.zeros((4, 96, 96, 3), np.float32))}, "prototypes of shape"),
])
def test_a_damaged_memory_is_one_line_naming_the_file(tmp_path, drop, replace, reason) -> None:
    path = rewritten(tmp_path, memory_face(), drop, replace)
    with pytest.raises(VoxrigError, match=reason) as caught:
        read_face(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_memory_that_weighs_another_number_of_prototypes_is_refused(tmp_path) -> None:
    face = memory_face(4)
    path = rewritten(tmp_path, face, replace={"memory.onnx": sound_network(5)})
    with pytest.raises(VoxrigError, match="weighs .5,. prototypes, not its 4"):
        open_generator(read_face(path), str(path))
    path = rewritten(tmp_path, face, replace={"memory.onnx": b"garbage"})
    with pytest.raises(VoxrigError, match="its mouth memory is not a usable ONNX model"):
        open_generator(read_face(path), str(path))


def test_the_memory_s_weights_are_eased_between_neighbouring_frames() -> None:
    from voxrig.core.face_memory import smoothed

    jump = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] + [[1.0, 0.0]] * 3, np.float32)
    eased = smoothed(jump)
    assert np.allclose(eased.sum(axis=1), 1)  # still weights
    assert eased[3, 1] == pytest.approx(0.5) and eased[2, 1] == pytest.approx(0.25)
    assert np.array_equal(eased[0], jump[0])  # the ends are their own neighbours
    assert np.array_equal(smoothed(jump[:1]), jump[:1])


def test_footage_is_cut_in_blocks_taken_in_turn_so_each_fold_network_leaves_some_out() -> None:
    from voxrig.core.face_memory_train import FOLD_BLOCK_SECONDS, FOLDS, fold_blocks

    assert FOLDS == 2
    block = int(FOLD_BLOCK_SECONDS * 25)
    long, short = np.arange(3 * block), np.arange(block // 2)
    first, second = fold_blocks([long, short], 25.0)
    assert first.tolist() == [0] * block + [1] * block + [0] * block
    assert second.tolist() == [1] * len(short)  # a new video starts a new block
    # footage shorter than a block a fold: shorter blocks, so both folds still get frames
    (tiny,) = fold_blocks([np.arange(20)], 25.0)
    assert tiny.tolist() == [0] * 10 + [1] * 10


def test_a_training_frame_s_memory_mouth_comes_from_the_network_that_left_its_fold_out() -> None:
    from voxrig.core.face_memory_train import Heard, leaving_out, unseen_mouths

    prototypes = np.stack([np.full((96, 96, 3), v, np.uint8) for v in (0, 200)])
    # network k always picks prototype k
    memories = [MouthMemory(lambda x, k=k: np.eye(2)[[k] * len(x)] * 50.0, prototypes)
                for k in range(2)]
    sound = np.zeros((400, 80), np.float32)
    example = Heard(sound, np.arange(6), np.zeros(6, int), 25.0)
    folds = [np.array([0, 0, 1, 1, 0, 1])]
    (mouths,) = unseen_mouths(memories, folds, [example])
    assert [int(m[0, 0, 0]) for m in mouths] == [0, 0, 200, 200, 0, 200]
    (kept,) = leaving_out([example], folds, 0)
    assert kept.frames.tolist() == [2, 3, 5] and len(kept.labels) == 3


def test_prototypes_are_the_mean_crops_of_clusters_of_lower_faces_and_read_back(tmp_path) -> None:
    from voxrig.core.face_memory_train import Prototypes, find_prototypes

    rng = np.random.default_rng(0)
    dark, light = (np.full((40, 96, 96, 3), v, np.uint8) for v in (30, 220))
    dark[:, :20] = light[:, :20] = 120  # the same above the nose: only the lower face counts
    found = find_prototypes([dark, light], rng, count=2)
    assert sorted(int(m[50, 50, 0]) for m in found.as_uint8()) == [30, 220]
    assert found.assign(light[:3]).tolist() == [found.assign(light[:1])[0]] * 3
    found.save(tmp_path / "p.npz")
    again = Prototypes.load(tmp_path / "p.npz")
    assert (again.assign(dark) == found.assign(dark)).all()
    # fewer frames than prototypes asked for: as many as there are frames
    assert len(find_prototypes([dark[:3]], rng, count=32).mouths) == 3


def test_the_sound_network_learns_which_prototype_a_sound_belongs_to() -> None:
    from voxrig.core.face_memory_train import Heard, train_network

    rng = np.random.default_rng(1)
    sound = rng.normal(size=(1000, 80)).astype(np.float32) * 0.1
    frames = np.arange(0, 240)
    labels = (frames // 20) % 2  # alternating 0.8 s stretches of two "sounds"
    for k in frames[labels == 1]:
        sound[4 * k:4 * k + 4, :40] += 1.0  # the second is loud in the low bands
    model, record = train_network([Heard(sound, frames, labels, 25.0)], np.inf, 0,
                                  prototypes=2, steps=200)
    assert record["steps"] == 200 and len(record["curve"]) == 2
    from voxrig.core.face_memory_train import as_memory

    memory = as_memory(model, np.zeros((2, 96, 96, 3), np.uint8))
    picked = memory.sound_weights(sound, frames, 25.0).argmax(axis=1)
    middle = (frames % 20 >= 5) & (frames % 20 < 15)  # away from the stretches' edges
    assert (picked[middle] == labels[middle]).mean() > 0.9


def test_memory_mouths_kept_as_weights_read_as_the_blended_array() -> None:
    from voxrig.core.face_memory import BlendedMouths, blend

    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 256, (8, 96, 96, 3)).astype(np.uint8)
    weights = rng.dirichlet(np.ones(8), 30).astype(np.float32)
    whole, lazy = blend(prototypes, weights), BlendedMouths(prototypes, weights)
    assert len(lazy) == 30
    assert np.array_equal(lazy[7], whole[7])
    assert np.array_equal(lazy[5:21], whole[5:21])
    assert np.array_equal(lazy[np.array([2, 29, 2])], whole[[2, 29, 2]])
    assert np.array_equal(np.stack(list(lazy)), whole)
