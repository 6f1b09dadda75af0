"""The first mouth generator's parts (issue 17, seed S0): the lip template it is driven by,
the masked input it sees, the network's shape, the seamless paste-back, the sync and GAN
losses and the memory folds it trains with."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is the 'train' extra")

from training.face import generator  # noqa: E402
from voxrig.core import face_canvas, face_render  # noqa: E402


def canvas_points(gap: float) -> np.ndarray:
    """Mouth points (face_render.ICT_MOUTH's order) of a mouth at canvas (96, 128), open by
    `gap` pixels."""
    outer = [78 + 128j, 96 + (124 - gap / 2) * 1j, 114 + 128j, 96 + (133 + gap / 2) * 1j]
    inner = [82 + 128j, 96 + (127 - gap / 2) * 1j, 110 + 128j, 96 + (129 + gap / 2) * 1j]
    return np.array(outer + inner + [96 + 160j])


def test_the_template_draws_each_point_where_the_crop_sees_it() -> None:
    maps = face_render.mouth_template(canvas_points(6))
    assert maps.shape == (3, 96, 96) and maps.max() <= 1
    # canvas (96, 160) is crop pixel (row 64, column 48): the chin channel peaks there
    assert np.unravel_index(maps[2].argmax(), maps[2].shape) == (64, 48)
    # the outer loop passes through its corner at canvas (78, 128) = crop (32, 30)
    assert maps[0, 32, 30] == pytest.approx(1.0, abs=1e-3)
    assert maps[0, 80, 80] < 1e-6  # far from every line


def test_an_open_mouth_draws_its_inner_lips_apart_and_a_closed_one_together() -> None:
    closed = face_render.mouth_template(canvas_points(0))
    opened = face_render.mouth_template(canvas_points(12))
    column = 48  # the midline
    # on the midline the inner loop's two lips are 14 rows apart open, 2 closed
    assert np.ptp(np.flatnonzero(opened[1, :, column] > 0.5)) > 10
    assert np.ptp(np.flatnonzero(closed[1, :, column] > 0.5)) < 5


def test_a_frame_without_a_face_draws_an_empty_template() -> None:
    points = canvas_points(4)
    points[3] = np.nan
    assert not face_render.mouth_template(points).any()


def test_the_input_hides_the_frame_to_redraw_from_the_generators_mask_row_down() -> None:
    rng = np.random.default_rng(0)
    target = rng.integers(0, 256, (2, 96, 96, 3), dtype=np.uint8)
    ref, maps = target[::-1], np.zeros((2, 3, 96, 96), np.float32)
    # the default: nothing of the frame being redrawn reaches the network
    assert face_render.MASK_ROW == 0
    inverted = 255 - target
    a = face_render.model_inputs(target, ref, maps)
    assert a.shape == (2, face_render.IN_CHANNELS, 96, 96)
    assert np.array_equal(a, face_render.model_inputs(inverted, ref, maps))
    # an older face's generator saw the top 20 rows (the nose), and only them
    changed = target.copy()
    changed[:, 20:] = 255 - changed[:, 20:]
    b = face_render.model_inputs(target, ref, maps, mask_row=20)
    assert np.array_equal(b, face_render.model_inputs(changed, ref, maps, mask_row=20))
    changed[:, :20] = 0
    assert not np.array_equal(b, face_render.model_inputs(changed, ref, maps, mask_row=20))


def test_a_generator_masks_its_input_with_its_own_mask_row() -> None:
    seen = []
    generate = face_render.Generator(lambda x: seen.append(x) or x[:, 3:6], mask_row=20)
    frames = np.full((1, 96, 96, 3), 255, np.uint8)
    generate(frames, frames, np.zeros((1, 3, 96, 96), np.float32))
    assert (seen[0][0, :3, :20] == 1).all() and (seen[0][0, :3, 20:] == 0.5).all()


def test_the_network_draws_a_batch_of_crops_in_zero_to_one() -> None:
    torch.manual_seed(0)
    model = generator.MouthUNet((8, 12, 16, 24))
    out = model(torch.rand(2, face_render.IN_CHANNELS, 96, 96))
    assert out.shape == (2, 3, 96, 96) and out.min() >= 0 and out.max() <= 1


def test_a_feathered_paste_is_the_frame_at_the_box_edge_and_the_crop_inside() -> None:
    frame = np.full((288, 360, 3), 40, np.uint8)
    patch = np.full((96, 96, 3), 200, np.uint8)
    a, t = complex(1, 0), complex(-100, -50)  # canvas = frame shifted: box at x 148.., y 146..
    out = face_canvas.paste(frame, patch, a, t, face_canvas.MOUTH_BOX, feather=8)
    hard = face_canvas.paste(frame, patch, a, t, face_canvas.MOUTH_BOX)
    assert out[146 + 48, 148 + 48, 0] == 200  # the middle is the crop's
    assert out[146 + 48, 148, 0] == 40  # its edge column is still the frame's
    assert 40 < out[146 + 48, 148 + 4, 0] < 200  # and between, a blend
    assert hard[146 + 48, 148 + 4, 0] == 200


def test_the_sync_loss_scores_five_drawn_mouths_against_their_sound_and_trains_the_generator(
        tmp_path) -> None:
    from training.face.sync_expert import SyncExpert

    torch.manual_seed(0)
    expert = tmp_path / "expert.pt"
    torch.save(SyncExpert().state_dict(), expert)
    rng = np.random.default_rng(0)
    frames = 12
    crops = rng.integers(0, 256, (frames, 96, 96, 3), dtype=np.uint8)
    mouths = np.tile(canvas_points(4), (frames, 1))
    sound = rng.normal(size=(frames * 4 - 2, 80)).astype(np.float32)  # as log-mel: 2 short
    data = generator.Training([crops, crops], [mouths, mouths], [np.array([0, 3])] * 2,
                              [sound, None])  # the second clip has no consecutive frames
    loss = generator.SyncLoss(data, expert, weight=0.5, start=1)
    assert loss.usable == [0]
    model = generator.MouthUNet((8, 12, 16, 24))
    batch = (torch.zeros(1, 3, 96, 96), torch.zeros(1, 3, 96, 96))  # the step's: not used
    assert loss(model, rng, 0, *batch).item() == 0  # not before its start step
    for step in range(1, 11):  # windows stay where the sound is (it is shorter than the frames)
        loss(model, rng, step, *batch)
    value = loss(model, rng, 11, *batch)
    value.backward()
    assert value.ndim == 0 and value.item() > 0 and loss.running > 0
    # the expert is frozen; its verdict reaches the generator's weights
    assert all(p.grad is None for p in loss.expert.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_the_gan_loss_trains_its_critic_on_the_step_and_asks_the_generator_to_fool_it() -> None:
    from training.face.adversarial import AdversarialLoss

    torch.manual_seed(0)
    loss = AdversarialLoss(weight=0.1, start=2)
    model = generator.MouthUNet((8, 12, 16, 24))
    x = torch.rand(4, face_render.IN_CHANNELS, 96, 96)
    real = torch.rand(4, 3, 96, 96)
    rng = np.random.default_rng(0)
    assert loss(model, rng, 0, model(x), real).item() == 0  # not before its start step
    assert loss.running_critic is None
    before = [p.detach().clone() for p in loss.critic.parameters()]
    value = loss(model, rng, 2, model(x), real)
    critic_grads = [p.grad.clone() for p in loss.critic.parameters()]
    value.backward()
    assert value.ndim == 0 and value.item() > 0 and loss.running_critic > 0
    # the critic took its own step; the generator's loss leaves the critic's gradients alone
    assert any((p - b).abs().sum() > 0 for p, b in zip(loss.critic.parameters(), before,
                                                        strict=True))
    assert all(torch.equal(p.grad, g) for p, g in zip(loss.critic.parameters(), critic_grads,
                                                      strict=True))
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_a_critic_that_sees_real_and_blurred_mouths_learns_to_tell_them_apart() -> None:
    from training.face.adversarial import AdversarialLoss, mouth_box

    torch.manual_seed(0)
    loss = AdversarialLoss(weight=1.0, start=0)
    rng = np.random.default_rng(0)
    real = torch.from_numpy(rng.integers(0, 2, (8, 3, 96, 96)).astype(np.float32))  # sharp
    soft = torch.full_like(real, 0.5)  # what an L1 generator draws for such a texture
    first = None
    for step in range(60):
        loss(None, rng, step, soft, real)  # the model is not needed: the drawn crops are given
        first = first if first is not None else loss.running_critic
    with torch.no_grad():
        assert (loss.critic(mouth_box(real)).mean() > loss.critic(mouth_box(soft)).mean())
    assert loss.running_critic < first


def test_each_training_clip_gets_its_memory_mouths_from_the_fold_that_did_not_learn_it(
        tmp_path) -> None:
    from voxrig.core.face_memory_train import PROTOTYPES, Prototypes, SoundToMemory

    folds = []
    for k, learnt in enumerate((["clip-a"], ["clip-b"])):
        folder = tmp_path / f"fold{k}"
        folder.mkdir()
        torch.save(SoundToMemory().state_dict(), folder / "sound_to_memory.pt")
        Prototypes(np.zeros((PROTOTYPES, 32)), np.zeros(2052), np.zeros((32, 2052)),
                   np.full((PROTOTYPES, 96, 96, 3), 100.0 * k, np.float32)
                   ).save(folder / "prototypes.npz")
        (folder / "clips.json").write_text(json.dumps(learnt))
        folds.append(folder)
    memory_for = generator.memory_by_clip(folds[0], folds)
    assert memory_for("clip-a").prototypes[0, 0, 0, 0] == 100  # fold 1 never heard clip-a
    assert memory_for("clip-b").prototypes[0, 0, 0, 0] == 0
    whole = generator.memory_by_clip(folds[0], None)
    assert whole("clip-a") is whole("clip-b")
    assert generator.memory_by_clip(None, folds) is None
