"""S3's phones (issue 17): which aligned phones a rendered frame is given, and a generator
whose mouth features the sound and the phones modulate (FiLM), trained, exported, read back
and rendered with."""

from __future__ import annotations

import io

import numpy as np
import pytest

from voxrig.bridge.render.command import DEMO_FACE
from voxrig.bridge.render.voxface import Face, open_generator, read_face, write_face
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.face_phones import PHONE_CLASSES, PHONE_DIMS, aligned_phones, frame_phones
from voxrig.core.face_render import IN_CHANNELS, MEMORY_CHANNELS, Placement, dub

torch = pytest.importorskip("torch", reason="the test faces are built with torch")

WIDTH = len(PHONE_CLASSES)


def hot(row: np.ndarray) -> list[str | None]:
    """The phone each neighbour slot of a frame's row holds (None: no phone)."""
    out = []
    for slot in range(PHONE_DIMS // WIDTH):
        part = row[slot * WIDTH:(slot + 1) * WIDTH]
        out.append(PHONE_CLASSES[int(part.argmax())] if part.any() else None)
    return out


def test_each_frame_is_given_the_phones_before_at_and_after_it() -> None:
    phones = [("sil", 0.0, 0.1), ("B", 0.1, 0.18), ("AA", 0.18, 0.4), ("laugh", 0.4, 0.5)]
    rows = frame_phones(phones, 15, 25.0)  # frames every 40 ms
    assert rows.shape == (15, PHONE_DIMS) and rows.dtype == np.float32
    assert hot(rows[0]) == [None, "sil", "sil"]  # nothing before the first phone
    assert hot(rows[3]) == ["sil", "B", "B"]  # 0.12 s: B; 0.08 s before it silence
    assert hot(rows[4]) == ["B", "B", "AA"]
    assert hot(rows[10]) == ["AA", "sil", "sil"]  # a label outside the phone set: silence
    assert hot(rows[13]) == ["sil", None, None]
    assert hot(rows[14]) == [None, None, None]  # after the last phone
    assert not frame_phones(None, 5, 25.0).any()
    assert frame_phones([], 0, 25.0).shape == (0, PHONE_DIMS)


def test_only_phones_aligned_to_a_transcript_steer_the_face() -> None:
    weights = np.zeros((2, 1), np.float32)
    phones = [["sil", 0.0, 0.2], ["M", 0.2, 0.3]]
    forced = Clip(25.0, weights, ("jawOpen",), meta={"phone_source": "forced", "phones": phones})
    heard = Clip(25.0, weights, ("jawOpen",), meta={"phone_source": "recognised",
                                                   "phones": phones})
    assert aligned_phones(forced) == [("sil", 0.0, 0.2), ("M", 0.2, 0.3)]
    assert aligned_phones(heard) is None
    assert aligned_phones(Clip(25.0, weights, ("jawOpen",))) is None


def test_a_conditioned_generator_starts_as_the_plain_one_and_zero_phones_change_nothing() -> None:
    from voxrig.core.face_train import MouthUNet

    torch.manual_seed(0)
    model = MouthUNet((8, 8, 8, 8), conditions=(4, PHONE_DIMS))
    x = torch.rand(2, IN_CHANNELS, 96, 96)
    rows = torch.rand(2, 4 + PHONE_DIMS)
    torch.nn.init.normal_(model.head.weight, std=0.5)  # as after training
    plain = model(x)
    assert torch.equal(model(x, rows), plain)  # the FiLMs' last layers start at zero
    for film in model.film:
        for part in film:
            torch.nn.init.normal_(part.net[-1].weight, std=0.5)
    assert not torch.allclose(model(x, rows), plain)
    silent = rows.clone()
    silent[:, 4:] = 0.0  # no transcript: the phone FiLMs have no bias, so leave it as is
    sound_only = MouthUNet((8, 8, 8, 8), conditions=(4, PHONE_DIMS))
    sound_only.load_state_dict(model.state_dict())
    for film in sound_only.film:
        torch.nn.init.zeros_(film[1].net[-1].weight)
    assert torch.allclose(model(x, silent), sound_only(x, silent))


def phones_face() -> Face:
    """The demo face with a small S3 generator (memory of 4 prototypes, phones) and a memory."""
    from test_face_memory import sound_network

    from voxrig.core.face_train import MouthUNet, export

    torch.manual_seed(0)
    model = MouthUNet((8, 8, 8, 8), in_channels=IN_CHANNELS + MEMORY_CHANNELS,
                      conditions=(4, PHONE_DIMS))
    torch.nn.init.normal_(model.head.weight, std=0.5)  # as a trained one: not still
    for film in model.film:
        for part in film:
            torch.nn.init.normal_(part.net[-1].weight, std=0.5)
    buffer = io.BytesIO()
    export(model, buffer)
    demo = read_face(DEMO_FACE)
    mouths = np.random.default_rng(0).integers(0, 256, (4, 96, 96, 3), dtype=np.uint8)
    return Face(demo.name, buffer.getvalue(), demo.reference, demo.template, demo.ict_a,
                demo.ict_t, demo.mask_row, sound_network(4), mouths)


def test_a_face_trained_with_phones_draws_the_transcript_s_phones(tmp_path) -> None:
    path = tmp_path / "s3.voxface"
    write_face(path, phones_face(), source="test", license="CC BY 4.0")
    face = read_face(path)
    generate = open_generator(face, str(path))
    assert generate.phones and generate.memory is not None
    speech = np.random.default_rng(1).normal(0, 0.1, 16000).astype(np.float32)
    with_text = generate.conditions(speech, 5, 25.0, [("sil", 0.0, 0.05), ("P", 0.05, 0.2)])
    without = generate.conditions(speech, 5, 25.0)
    assert with_text.shape == without.shape == (5, 4 + PHONE_DIMS)
    assert np.array_equal(with_text[:, :4], without[:, :4]) and not without[:, 4:].any()
    frames = np.full((5, 288, 360, 3), 128, np.uint8)
    place = Placement(face.ict_a, face.ict_t, np.zeros((68, 3), np.float32))

    def drawn(conditions: np.ndarray) -> np.ndarray:
        return np.stack(list(dub(frames, np.ones(5, complex), np.zeros(5, complex),
                                 face.reference, place,
                                 np.zeros((5, 68, 3), np.float32), generate, conditions)))

    assert not np.array_equal(drawn(with_text), drawn(without))


def test_a_generator_that_takes_conditions_of_another_size_is_refused(tmp_path) -> None:
    from voxrig.core.face_train import MouthUNet, export

    face = phones_face()
    buffer = io.BytesIO()
    export(MouthUNet((8, 8, 8, 8), in_channels=IN_CHANNELS + MEMORY_CHANNELS,
                     conditions=(4, 10)), buffer)
    path = tmp_path / "odd.voxface"
    write_face(path, Face(face.name, buffer.getvalue(), face.reference, face.template,
                          face.ict_a, face.ict_t, face.mask_row, face.memory, face.prototypes),
               source="test", license="CC BY 4.0")
    with pytest.raises(VoxrigError, match="takes input .* not the renderer's"):
        open_generator(read_face(path), str(path))
