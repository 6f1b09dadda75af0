"""Export a trained checkpoint to the ONNX file voxrig ships (core/assets/neural/), then
check it: onnxruntime against torch at several lengths, and chunk-by-chunk (carried caches)
against the whole file at once.

    python -m training.export build/training/run/model.pt [-o core/assets/neural/voxrig-a2f.onnx]

    python -m training.export model.pt --phone-logp -o build/aligner/model.onnx  # + phone head

Graph: inputs `mel` (1, T, 80), `phones` (1, T, 40), `cache_0..cache_N`; outputs `weights`
(1, T, 30) in [0, 1], `keypoints` (1, T, 204) in cm, `cache_out_0..N`, and with
`--phone-logp` (a checkpoint trained with the phone head) last `phone_logp` (1, T, 40): the
log-softmax of the phone head, what core/posterior_align.py aligns a transcript over. Output
frame t is the face (and the phone) at input frame t - delay. Metadata (JSON in the model's
metadata_props) names the channels, phones, delay and feature settings, so the runtime needs
nothing else."""

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


class ExportedWithPhones(Exported):
    """The shipped outputs plus the phone head's log posteriors over the same code, in the
    same streaming graph: one pass gives the face and the phones for forced alignment."""

    def forward(self, mel: torch.Tensor, phones: torch.Tensor, *caches: torch.Tensor
                ) -> tuple[torch.Tensor, ...]:
        model = self.model
        code, new = model.encode(mel, phones, *caches)
        weights, kp, _ = model.decode(code)
        kp = kp * model.kp_std + model.kp_mean
        logp = torch.log_softmax(model.phones(code), dim=-1)
        return (weights.clamp(0.0, 1.0), kp, *new, logp)


def wrapper(model: AudioToFace, phone_logp: bool = False) -> Exported:
    """What is exported: the shipped outputs, and the phone head's when asked (and trained)."""
    if phone_logp and not model.config.phone_head:
        raise SystemExit("--phone-logp needs a checkpoint trained with the phone head")
    return (ExportedWithPhones if phone_logp else Exported)(model).eval()


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


def export(model: AudioToFace, out: Path, extra: dict | None = None,
           phone_logp: bool = False) -> None:
    import onnx

    wrapped = wrapper(model, phone_logp)
    caches = model.zero_caches(1)
    names = [f"cache_{i}" for i in range(len(caches))]
    outs = [f"cache_out_{i}" for i in range(len(caches))]
    example = (torch.zeros(1, 50, 80), torch.zeros(1, 50, len(PHONES)), *caches)
    axes = {"mel": {1: "time"}, "phones": {1: "time"}, "weights": {1: "time"},
            "keypoints": {1: "time"}}
    heads = ["phone_logp"] if phone_logp else []
    axes.update({name: {1: "time"} for name in heads})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    torch.onnx.export(wrapped, example, str(tmp), dynamo=False, opset_version=17,
                      input_names=["mel", "phones", *names],
                      output_names=["weights", "keypoints", *outs, *heads], dynamic_axes=axes)
    proto = onnx.load(str(tmp))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "voxrig", json.dumps(metadata(model, extra))
    onnx.save(proto, str(tmp))
    tmp.replace(out)


def check(model: AudioToFace, path: Path, seed: int = 0) -> dict[str, float]:
    """Largest differences: onnxruntime vs torch at several lengths, and streaming (10 ms
    chunks with carried caches) vs one call on the whole input; for `phone_logp` too when
    the graph has it."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    has_phones = "phone_logp" in names
    rng = np.random.default_rng(seed)
    wrapped = wrapper(model, has_phones)
    worst = worst_logp = 0.0
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
        if has_phones:
            worst_logp = max(worst_logp, float(np.abs(got[-1] - ref[-1].numpy()).max()))
    # streaming: the last input in 1-frame chunks with caches carried
    caches_out = [n for n in names if n.startswith("cache_out_")]
    state = [np.zeros((1, *s), np.float32) for s in model.cache_shapes()]
    frames, logps = [], []
    for t in range(mel.shape[1]):
        feeds = {"mel": mel[:, t : t + 1], "phones": phones[:, t : t + 1]}
        feeds.update({f"cache_{i}": c for i, c in enumerate(state)})
        result = dict(zip(names, session.run(None, feeds), strict=True))
        frames.append(result["weights"])
        logps.append(result.get("phone_logp", result["weights"]))
        state = [result[n] for n in caches_out]
    streamed = np.concatenate(frames, axis=1)
    report = {"onnx_vs_torch": worst, "stream_vs_whole": float(np.abs(streamed - got[0]).max())}
    if has_phones:
        report["phone_logp_onnx_vs_torch"] = worst_logp
        report["phone_logp_stream_vs_whole"] = float(
            np.abs(np.concatenate(logps, axis=1) - got[-1]).max())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--card", type=Path, default=None,
                        help="JSON with training facts to store in the metadata")
    parser.add_argument("--phone-logp", action="store_true",
                        help="also export the phone head's log posteriors (output phone_logp)")
    args = parser.parse_args()
    model = load_checkpoint(args.checkpoint)
    extra = json.loads(args.card.read_text()) if args.card else None
    export(model, args.out, extra, phone_logp=args.phone_logp)
    print(json.dumps(check(model, args.out)), f"{args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
