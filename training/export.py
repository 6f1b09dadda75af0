"""Export a trained checkpoint to the ONNX file voxrig ships (core/assets/neural/), then
check it: onnxruntime against torch at several lengths, and chunk-by-chunk (carried caches)
against the whole file at once.

    python -m training.export build/training/run/model.pt [-o core/assets/neural/voxrig-a2f.onnx]

Graph: inputs `mel` (1, T, 80), `phones` (1, T, 40), `cache_0..cache_N`; outputs `weights`
(1, T, 30) in [0, 1], `keypoints` (1, T, 204) in cm, `cache_out_0..N`. Output frame t is the
face at input frame t - delay. Metadata (JSON in the model's metadata_props) names the
channels, phones, delay and feature settings, so the runtime needs nothing else."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from voxrig.core import mel as melspec
from voxrig.core.config import ANALYSIS_RATE

from .features import CHANNELS, PHONES
from .model import AudioToFace, Exported, ModelConfig

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "core" / "assets" / "neural" / "voxrig-a2f.onnx"


def load_checkpoint(path: Path) -> AudioToFace:
    saved = torch.load(path, map_location="cpu", weights_only=False)
    config = dict(saved["config"])
    config["dilations"] = tuple(config["dilations"])
    model = AudioToFace(ModelConfig(**config))
    model.load_state_dict(saved["state"])
    return model.eval()


def metadata(model: AudioToFace, extra: dict | None = None) -> dict:
    c = model.config
    return {
        "format": "voxrig.a2f",
        "version": 1,
        "channels": list(CHANNELS),
        "phones": list(PHONES),
        "delay_frames": c.delay,
        "sample_rate": ANALYSIS_RATE,
        "hop": melspec.HOP,
        "window": melspec.WINDOW,
        "n_fft": melspec.N_FFT,
        "n_mels": melspec.N_MELS,
        "caches": [list(s) for s in model.cache_shapes()],
        "prototypes": c.prototypes,
        **(extra or {}),
    }


def export(model: AudioToFace, out: Path, extra: dict | None = None) -> None:
    import onnx

    wrapped = Exported(model).eval()
    caches = model.zero_caches(1)
    names = [f"cache_{i}" for i in range(len(caches))]
    outs = [f"cache_out_{i}" for i in range(len(caches))]
    example = (torch.zeros(1, 50, 80), torch.zeros(1, 50, len(PHONES)), *caches)
    axes = {"mel": {1: "time"}, "phones": {1: "time"}, "weights": {1: "time"},
            "keypoints": {1: "time"}}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    torch.onnx.export(wrapped, example, str(tmp), dynamo=False, opset_version=17,
                      input_names=["mel", "phones", *names],
                      output_names=["weights", "keypoints", *outs], dynamic_axes=axes)
    proto = onnx.load(str(tmp))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "voxrig", json.dumps(metadata(model, extra))
    onnx.save(proto, str(tmp))
    tmp.replace(out)


def check(model: AudioToFace, path: Path, seed: int = 0) -> dict[str, float]:
    """Largest differences: onnxruntime vs torch at several lengths, and streaming (10 ms
    chunks with carried caches) vs one call on the whole input."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    wrapped = Exported(model).eval()
    worst = 0.0
    for length in (1, 7, 100, 1013):
        mel = (rng.standard_normal((1, length, 80)) * 2 - 8).astype(np.float32)
        phones = np.zeros((1, length, len(PHONES)), np.float32)
        caches = [np.zeros((1, *s), np.float32) for s in model.cache_shapes()]
        feeds = {"mel": mel, "phones": phones}
        feeds.update({f"cache_{i}": c for i, c in enumerate(caches)})
        got = session.run(None, feeds)
        with torch.no_grad():
            ref = wrapped(torch.from_numpy(mel), torch.from_numpy(phones),
                          *[torch.from_numpy(c) for c in caches])
        worst = max(worst, float(np.abs(got[0] - ref[0].numpy()).max()))
        worst = max(worst, float(np.abs(got[1] - ref[1].numpy()).max()) / 10)
    # streaming: the last input in 1-frame chunks with caches carried
    state = [np.zeros((1, *s), np.float32) for s in model.cache_shapes()]
    frames = []
    for t in range(mel.shape[1]):
        feeds = {"mel": mel[:, t : t + 1], "phones": phones[:, t : t + 1]}
        feeds.update({f"cache_{i}": c for i, c in enumerate(state)})
        result = session.run(None, feeds)
        frames.append(result[0])
        state = result[2:]
    streamed = np.concatenate(frames, axis=1)
    return {"onnx_vs_torch": worst, "stream_vs_whole": float(np.abs(streamed - got[0]).max())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--card", type=Path, default=None,
                        help="JSON with training facts to store in the metadata")
    args = parser.parse_args()
    model = load_checkpoint(args.checkpoint)
    extra = json.loads(args.card.read_text()) if args.card else None
    export(model, args.out, extra)
    print(json.dumps(check(model, args.out)), f"{args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
