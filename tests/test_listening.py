
from voxrig.core.config import IdleConfig
from voxrig.core.listening import listen
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone, Word

WORDS = [Word(*w) for w in [
    ("we", 0.5, 0.7), ("won", 0.7, 1.0), ("the", 1.0, 1.1), ("game", 1.1, 1.6),
    ("it", 3.0, 3.2), ("was", 3.2, 3.4), ("wonderful", 3.4, 4.0),
    ("the", 6.0, 6.2), ("bus", 6.2, 6.5), ("is", 6.5, 6.6), ("late", 6.6, 7.0),
    ("is", 9.0, 9.2), ("it", 9.2, 9.4), ("raining", 9.4, 10.0)]]
TEXT = "We won the game! It was wonderful. The bus is late. Is it raining?"
PHONES = [Phone("AA", w.start, w.end) for w in WORDS]


def _run():
    return listen(12.0, 100.0, PHONES, WORDS, TEXT, None, IdleConfig(seed=1))


def test_listener_nods_right_after_each_phrase_end():
    pitch = _run().head[:, 0]
    for end in (1.6, 4.0, 7.0, 10.0):
        i = int(round((end + 0.25) * 100))
        assert pitch[i] > 3.0, end
    assert abs(pitch[250]) < 1.0 and abs(pitch[520]) < 1.0  # no nod in the middle


def test_listener_smiles_at_positive_statements_only():
    smile = _run().weights[:, ARKIT_INDEX["mouthSmileLeft"]]
    assert smile[int(1.7 * 100)] > 0.3 and smile[int(4.2 * 100)] > 0.3
    assert smile[int(8.5 * 100)] < 0.05  # "The bus is late." is no reason to smile


def test_listener_raises_brows_at_the_question_and_keeps_lips_still():
    m = _run()
    brows = m.weights[:, ARKIT_INDEX["browOuterUpLeft"]]
    assert brows[1010] > 0.4 and brows[:900].max() < 0.05
    lips = [ARKIT_INDEX[n] for n in ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker")]
    assert not m.weights[:, lips].any()
    gaze = m.weights[:, [ARKIT_INDEX["eyeLookOutLeft"], ARKIT_INDEX["eyeLookInLeft"]]]
    assert gaze.max() < 0.5  # attention: the eyes stay near the speaker


def test_voxrig_bake_listen_writes_a_clip_with_still_lips_and_head_motion(tmp_path, capsys):
    import json

    import numpy as np
    import soundfile as sf

    from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT, main

    speech, rate = sf.read(SAMPLE_AUDIO)
    audio = tmp_path / "two_lines.wav"  # the line twice, a second apart: a pause to nod at
    sf.write(audio, np.concatenate([speech, np.zeros(rate), speech]), rate)
    text = SAMPLE_TEXT.read_text().strip()
    out = tmp_path / "listener.json"
    assert main(["bake", str(audio), "--transcript", f"{text}. {text}.", "--listen", "-q",
                 "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    jaw = [frame[ARKIT_INDEX["jawOpen"]] for frame in data["weights"]]
    pitch = [frame[0] for frame in data["head"]["frames"]]
    assert max(jaw) == 0.0 and max(pitch) > 3.0 and data["meta"]["listen"] is True
