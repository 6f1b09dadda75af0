"""The .voxface file: one person's face model for `voxrig render --face`. A zip holding

- `header.json`: {"format": "voxrig.face", "version": 1, "name", "canvas": the canvas
  constants it was trained on (its "mask_row", the crop rows its generator sees masked, is
  the one that may differ between faces), optionally "drawn_columns": [lo, hi], the crop
  columns its mouth is pasted over whole (the video keeps its cheeks beyond), "template":
  the canvas positions of the stable points (how a video of the person is held still),
  "ict_to_canvas": {"a", "t"} (the similarity that puts voxrig's 68 ICT keypoints onto the
  person's canvas face), "source", "license"};
- `generator.onnx`: the mouth generator (core/face_render.py's input -> a 96x96 crop);
- `reference.npy`: the person's closed-mouth crop (96, 96, 3) uint8;
- for a face with S1's mouth memory (core/face_memory.py), `memory.onnx`: its sound network
  ((N, 1, 80, 36) log-mel -> (N, K) logits) and `prototypes.npy`: its K mouth crops
  (K, 96, 96, 3) uint8; the generator then takes the memory mouth as 3 more channels.

Why a zip of plain parts: each can be read and checked on its own, with nothing executable
but the ONNX graph, and one file is easy to pass around."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voxrig.core.errors import VoxrigError
from voxrig.core.face_canvas import CANVAS, FEATHER, MOUTH_BOX, MOUTH_SIZE, STABLE
from voxrig.core.face_memory import CONTEXT_MEL, MouthMemory
from voxrig.core.face_phones import PHONE_DIMS
from voxrig.core.face_render import IN_CHANNELS, MASK_ROW, MEMORY_CHANNELS, Generator, Placement
from voxrig.core.mel import N_MELS

FORMAT, VERSION = "voxrig.face", 1
HEADER, GENERATOR, REFERENCE = "header.json", "generator.onnx", "reference.npy"
MEMORY, PROTOTYPES = "memory.onnx", "prototypes.npy"  # both or neither
MAX_BYTES = 256 * 2 ** 20  # a face model is a few MB; refuse anything absurd before unzipping


def canvas_constants(mask_row: int = MASK_ROW) -> dict:
    """The canvas a generator is trained on: a face made for another cannot be rendered."""
    return {"size": CANVAS, "mouth_box": list(MOUTH_BOX), "mouth_size": list(MOUTH_SIZE),
            "mask_row": mask_row, "feather": FEATHER}


@dataclass(frozen=True)
class Face:
    """A loaded .voxface."""

    name: str
    generator: bytes  # ONNX
    reference: np.ndarray  # (96, 96, 3) uint8
    template: np.ndarray  # (len(STABLE),) complex canvas positions
    ict_a: complex
    ict_t: complex
    mask_row: int = MASK_ROW  # crop rows from here down its generator sees masked
    memory: bytes | None = None  # ONNX of S1's sound network, with
    prototypes: np.ndarray | None = None  # its (K, 96, 96, 3) uint8 mouths
    columns: tuple[float, float] | None = None  # the crop columns its mouth is pasted over
    # whole (face_canvas.mouth_columns); None: the whole crop, as faces before 2026-12-07

    def placement(self, neutral: np.ndarray) -> Placement:
        """Where a clip's keypoints land on this person's canvas face."""
        return Placement(self.ict_a, self.ict_t, neutral)


def write_face(path: str | Path, face: Face, *, source: str, license: str) -> None:
    """Write a .voxface (training's packaging step uses this)."""
    header = {"format": FORMAT, "version": VERSION, "name": face.name,
              "canvas": canvas_constants(face.mask_row),
              "template": [[p.real, p.imag] for p in face.template],
              "ict_to_canvas": {"a": [face.ict_a.real, face.ict_a.imag],
                                "t": [face.ict_t.real, face.ict_t.imag]},
              "source": source, "license": license}
    if face.columns is not None:
        header["drawn_columns"] = list(face.columns)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(HEADER, json.dumps(header, indent=1))
        zf.writestr(GENERATOR, face.generator)
        zf.writestr(REFERENCE, _npy(face.reference))
        if face.memory is not None and face.prototypes is not None:
            zf.writestr(MEMORY, face.memory)
            zf.writestr(PROTOTYPES, _npy(face.prototypes))


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.uint8), allow_pickle=False)
    return buffer.getvalue()


def read_face(path: str | Path) -> Face:
    """A .voxface, checked; every problem is one VoxrigError line naming the file."""
    name = str(path)
    path = Path(path)
    if not path.is_file():
        reason = "it is a directory" if path.is_dir() else "file not found"
        raise VoxrigError(f"cannot read face model {name!r}: {reason}")
    if path.stat().st_size > MAX_BYTES:
        raise VoxrigError(f"face model {name!r} is too large to be a .voxface "
                          f"({path.stat().st_size / 2 ** 20:.0f} MB)")
    try:
        with zipfile.ZipFile(path) as zf:
            parts = {n: zf.read(n) for n in (HEADER, GENERATOR, REFERENCE, MEMORY, PROTOTYPES)
                     if n in zf.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise VoxrigError(f"face model {name!r} is not a .voxface (not a readable zip: "
                          f"{exc})") from None
    missing = [n for n in (HEADER, GENERATOR, REFERENCE) if n not in parts]
    if missing:
        raise VoxrigError(f"face model {name!r} is incomplete: no {missing[0]} inside")
    if (MEMORY in parts) != (PROTOTYPES in parts):
        lacking = PROTOTYPES if MEMORY in parts else MEMORY
        raise VoxrigError(f"face model {name!r} is incomplete: its mouth memory has no "
                          f"{lacking}")
    return _parse(name, parts)


def _parse(name: str, parts: dict[str, bytes]) -> Face:
    try:
        header = json.loads(parts[HEADER].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VoxrigError(f"face model {name!r}: {HEADER} is not JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise VoxrigError(f"face model {name!r}: not a voxrig face (format is not {FORMAT!r})")
    if header.get("version") != VERSION:
        raise VoxrigError(f"face model {name!r}: unsupported version {header.get('version')!r} "
                          f"(this voxrig reads version {VERSION})")
    canvas = header.get("canvas")
    mask_row = canvas.get("mask_row") if isinstance(canvas, dict) else None
    if type(mask_row) is not int or not 0 <= mask_row < MOUTH_SIZE[1] \
            or canvas != canvas_constants(mask_row):
        raise VoxrigError(f"face model {name!r} was made for another canvas than this voxrig's")
    try:
        template = np.array([complex(x, y) for x, y in header["template"]])
        ict_a, ict_t = (complex(*header["ict_to_canvas"][k]) for k in ("a", "t"))
        reference = np.load(io.BytesIO(parts[REFERENCE]), allow_pickle=False)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise VoxrigError(f"face model {name!r} is damaged ({type(exc).__name__}: "
                          f"{exc})") from None
    if template.shape != (len(STABLE),) or not np.isfinite(template).all() or ict_a == 0:
        raise VoxrigError(f"face model {name!r} is damaged (bad template or ICT transform)")
    if reference.shape != (MOUTH_SIZE[1], MOUTH_SIZE[0], 3) or reference.dtype != np.uint8:
        raise VoxrigError(f"face model {name!r} is damaged (reference crop of shape "
                          f"{reference.shape})")
    columns = _columns(name, header.get("drawn_columns"))
    prototypes = None
    if PROTOTYPES in parts:
        try:
            prototypes = np.load(io.BytesIO(parts[PROTOTYPES]), allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise VoxrigError(f"face model {name!r}: its mouth memory is damaged "
                              f"({type(exc).__name__}: {exc})") from None
        if prototypes.ndim != 4 or prototypes.shape[1:] != reference.shape \
                or prototypes.dtype != np.uint8 or len(prototypes) < 2:
            raise VoxrigError(f"face model {name!r}: its mouth memory is damaged (prototypes "
                              f"of shape {prototypes.shape})")
    return Face(str(header.get("name", "")), parts[GENERATOR], reference, template, ict_a, ict_t,
                mask_row, parts.get(MEMORY), prototypes, columns)


def _columns(name: str, value: object) -> tuple[float, float] | None:
    """The header's drawn columns, checked: two numbers inside the crop's feathered edge."""
    if value is None:
        return None
    last = MOUTH_SIZE[0] - 1 - FEATHER
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or not FEATHER <= value[0] < value[1] <= last):
        raise VoxrigError(f"face model {name!r} is damaged (drawn_columns {value!r} is not two "
                          f"crop columns from {FEATHER:g} to {last:g})")
    return float(value[0]), float(value[1])


def open_generator(face: Face, name: str, threads: int = 1) -> Generator:
    """The face's generator with its mask (and memory, and S3's phones when its graph takes
    the frames' conditions too), run by onnxruntime on one thread by default: ffmpeg encodes
    the frames on another core meanwhile (on 2 busy cores one thread drew 86 frames/s, two
    51). A graph onnxruntime cannot load, or one that does not take the renderer's input, is
    a damaged face model."""
    channels = IN_CHANNELS + (MEMORY_CHANNELS if face.memory is not None else 0)
    memory = None
    if face.memory is not None and face.prototypes is not None:
        sound = _network(face.memory, name, "mouth memory", threads, [1, N_MELS, CONTEXT_MEL])
        memory = MouthMemory(sound, face.prototypes)
        logits = sound(np.zeros((1, 1, N_MELS, CONTEXT_MEL), np.float32))
        if logits.shape != (1, len(face.prototypes)):
            raise VoxrigError(f"face model {name!r}: its mouth memory weighs {logits.shape[1:]} "
                              f"prototypes, not its {len(face.prototypes)}")
    shape = [channels, MOUTH_SIZE[1], MOUTH_SIZE[0]]
    conditions = None if memory is None else [len(memory.prototypes) + PHONE_DIMS]
    drawn = _network(face.generator, name, "generator", threads, shape, conditions)
    return Generator(drawn, face.mask_row, memory, phones=len(drawn.inputs) == 2,
                     columns=face.columns)


@dataclass(frozen=True)
class _Graph:
    """An ONNX graph run by onnxruntime: called with its inputs in order, returns its output."""

    session: Any
    inputs: list[str]
    output: str

    def __call__(self, *x: np.ndarray) -> np.ndarray:
        return self.session.run([self.output], dict(zip(self.inputs, x, strict=True)))[0]


def _network(model: bytes, name: str, what: str, threads: int, shape: list[int],
             conditions: list[int] | None = None) -> _Graph:
    """One ONNX graph of a face, with one output and one input of (N, *shape), or also a
    second of (N, *conditions) when `conditions` are allowed (S3's generator)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # its own messages would not be one line
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        inputs, (out,) = session.get_inputs(), session.get_outputs()
    except Exception as exc:  # onnxruntime raises its own, undocumented, exception types
        raise VoxrigError(f"face model {name!r}: its {what} is not a usable ONNX model "
                          f"({type(exc).__name__})") from None
    wanted = [shape] + ([conditions] if conditions is not None and len(inputs) == 2 else [])
    if len(inputs) != len(wanted) or any(list(given.shape[1:]) != w
                                         for given, w in zip(inputs, wanted, strict=True)):
        raise VoxrigError(f"face model {name!r}: its {what} takes input "
                          f"{', '.join(str(i.shape) for i in inputs)}, not the renderer's")
    return _Graph(session, [i.name for i in inputs], out.name)
