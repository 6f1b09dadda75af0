"""`voxrig batch`: bake many lines at once, incrementally, with workers that keep the model.

Each line's output is keyed by a hash of its audio bytes, transcript, options and the
voxrig/model version; the keys live in a small SQLite index in OUTDIR (`.voxrig-batch.sqlite`),
committed line by line, so a rerun skips what is up to date and a killed batch resumes.
Workers only compute (they return the output's bytes); this process alone writes files and
the index, so a kill at any moment leaves whole files and a consistent index:

  1. the row is marked `pending` with the new output's hash (and the old one kept),
  2. the output is written atomically (bridge/atomic.py),
  3. the row is marked `done`.

An output whose bytes match neither hash was edited by hand and is kept (reported) unless
`overwrite_edited` is set.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from voxrig.core.errors import VoxrigError

from .atomic import write_atomic
from .progress import ProgressBar

INDEX_NAME = ".voxrig-batch.sqlite"
FAILED_NAME = "failed.jsonl"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")
DASK_LOCAL_WORKERS = 2  # --dask local: a dry run of a cluster on this machine
DASK_IN_FLIGHT = 64  # lines on a Dask cluster at once (submitted, not yet returned), at most
CLIP_PREFIX = ".voxrig"  # bake's default name: <stem>.voxrig.json (and .voxrig.csv)


@dataclass(frozen=True)
class LineOptions:
    """bake's options for one line (the same defaults as `voxrig bake`)."""

    fps: float = 30.0
    engine: str = "auto"
    format: str = "json"
    visemes: bool = False
    keypoints: bool = False
    strength: float = 1.0
    emotion: str = "auto"
    idle: str = "on"
    listen: bool = False
    language: str = "auto"
    heard_phones: str = "on"
    unity_path: str = "Face"


OPTION_NAMES = tuple(LineOptions.__dataclass_fields__)


@dataclass(frozen=True)
class Line:
    """One line to bake: its audio, transcript (or None) and where its output goes."""

    audio: str
    transcript: str | None
    output: str  # file name inside OUTDIR
    options: LineOptions = field(default_factory=LineOptions)


@dataclass
class Summary:
    """What a batch did, line by line (output names)."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # output -> one-line error
    kept: list[str] = field(default_factory=list)  # edited by hand: not overwritten

    def line(self) -> str:
        return (f"{len(self.done)} done / {len(self.skipped)} skipped / "
                f"{len(self.failed)} failed / {len(self.kept)} kept (edited)")


# ---- reading the input ----------------------------------------------------------------------

def read_lines(source: str | Path, defaults: LineOptions | None = None) -> list[Line]:
    """The lines of a folder of audio files (with <stem>.txt transcripts beside them) or of a
    manifest (.jsonl or .csv)."""
    source = Path(source)
    defaults = defaults or LineOptions()
    if source.is_dir():
        return _folder_lines(source, defaults)
    if not source.is_file():
        raise VoxrigError(f"{str(source)!r}: no such folder or manifest")
    suffix = source.suffix.lower()
    if suffix == ".jsonl":
        rows = _jsonl_rows(source)
    elif suffix == ".csv":
        rows = _csv_rows(source)
    else:
        raise VoxrigError(f"{str(source)!r}: a batch input is a folder, a .jsonl or a .csv")
    return [_manifest_line(row, number, source, defaults) for number, row in rows]


def _folder_lines(folder: Path, defaults: LineOptions) -> list[Line]:
    lines = []
    for audio in sorted(folder.iterdir()):
        if audio.suffix.lower() not in AUDIO_SUFFIXES or not audio.is_file():
            continue
        text = audio.with_suffix(".txt")
        transcript = _read_text(text) if text.is_file() else None
        lines.append(Line(str(audio), transcript, default_output(audio, defaults.format),
                          defaults))
    if not lines:
        raise VoxrigError(f"{str(folder)!r}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return lines


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    for number, text in enumerate(_read_text(path).splitlines(), 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VoxrigError(f"{str(path)!r} line {number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise VoxrigError(f"{str(path)!r} line {number}: expected a JSON object")
        yield number, row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(_read_text(path).splitlines())
    for number, row in enumerate(reader, 2):  # line 1 is the header
        yield number, {k: v for k, v in row.items() if k is not None and v not in (None, "")}


def _manifest_line(row: dict, number: int, manifest: Path, defaults: LineOptions) -> Line:
    where = f"{str(manifest)!r} line {number}"
    unknown = set(row) - {"audio", "transcript", "text", "output", "error", *OPTION_NAMES}
    if unknown:
        raise VoxrigError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    if not isinstance(row.get("audio"), str) or not row["audio"]:
        raise VoxrigError(f"{where}: no 'audio' path")
    audio = _beside(manifest, row["audio"])
    transcript = row.get("transcript")
    if "text" in row:
        transcript = _read_text(_beside(manifest, str(row["text"])))
    if transcript is not None and not isinstance(transcript, str):
        raise VoxrigError(f"{where}: 'transcript' must be text")
    options = _options(row, defaults, where)
    output = str(row.get("output") or default_output(audio, options.format))
    return Line(str(audio), transcript, output, options)


def _options(row: dict, defaults: LineOptions, where: str) -> LineOptions:
    changes = {}
    for name in OPTION_NAMES:
        if name not in row:
            continue
        kind = type(getattr(defaults, name))
        value = row[name]
        try:
            if kind is bool and isinstance(value, str):
                value = value.strip().lower() in ("1", "true", "yes", "on")
            changes[name] = kind(value)
        except (TypeError, ValueError):
            raise VoxrigError(f"{where}: {name} must be a {kind.__name__}") from None
    return replace(defaults, **changes)


def _beside(manifest: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else manifest.parent / path


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise VoxrigError(f"cannot read {str(path)!r}: {getattr(exc, 'strerror', None) or exc}"
                          ) from None


def default_output(audio: str | Path, fmt: str) -> str:
    """bake's default name for `audio`: <stem>.voxrig.json/.csv, or <stem>.<format's
    extension> for an export format."""
    from .exporters import EXPORTERS

    stem = Path(audio).stem
    if fmt in ("json", "csv"):
        return f"{stem}{CLIP_PREFIX}.{fmt}"
    if fmt not in EXPORTERS:
        raise VoxrigError(f"unknown format {fmt!r} (choose from {', '.join(EXPORTERS)})")
    return f"{stem}.{EXPORTERS[fmt].extensions[0]}"


# ---- keys and the index ---------------------------------------------------------------------

def line_key(line: Line, version: str) -> str:
    """The hash that says whether a line's output is up to date."""
    digest = hashlib.sha256()
    try:
        with open(line.audio, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise VoxrigError(f"cannot read {line.audio!r}: {exc.strerror}") from None
    digest.update(json.dumps([line.transcript, asdict(line.options), version]).encode())
    return digest.hexdigest()


def versions() -> str:
    """voxrig's version and the model's: a new one of either re-bakes everything."""
    from voxrig.core.neural import load_model

    from .version import voxrig_version

    return f"voxrig {voxrig_version()}, model {load_model().info.description}"


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Index:
    """The SQLite record of what each output was baked from (WAL: a kill never corrupts it)."""

    def __init__(self, outdir: Path) -> None:
        self.db = sqlite3.connect(outdir / INDEX_NAME)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS outputs (output TEXT PRIMARY KEY, "
                        "key TEXT, hash TEXT, previous TEXT, state TEXT, error TEXT)")
        self.db.commit()

    def get(self, output: str) -> tuple[str, str, str | None, str] | None:
        """(key, hash, previous hash, state) of an output, or None."""
        return self.db.execute("SELECT key, hash, previous, state FROM outputs WHERE output=?",
                               (output,)).fetchone()

    def put(self, output: str, key: str, digest: str | None, previous: str | None,
            state: str, error: str | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                        (output, key, digest, previous, state, error))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def _decide(index: Index, outdir: Path, output: str, key: str, overwrite_edited: bool
            ) -> str:  # fmt: skip
    """'skip', 'kept' (edited by hand) or 'bake' for one line."""
    from .clipio import is_voxrig_output

    path = outdir / output
    record = index.get(output)
    current = _file_hash(path)
    if current is None:
        return "bake"
    if record is None:
        ours = is_voxrig_output(path) or _looks_like_ours(path)
    else:
        _, digest, previous, state = record
        ours = current == digest or (state == "pending" and current == previous)
    if not ours:
        return "bake" if overwrite_edited else "kept"
    if record is not None and record[0] == key and record[3] == "done" and current == record[1]:
        return "skip"
    return "bake"


def _looks_like_ours(path: Path) -> bool:
    from .exporters import export_format_for, written_by_voxrig

    try:
        return written_by_voxrig(path, export_format_for(path))
    except VoxrigError:
        return False


# ---- baking one line (in a worker) ----------------------------------------------------------

@dataclass(frozen=True)
class SentLine:
    """A line whose audio bytes travel with it (--send-audio): its worker needs no path."""

    line: Line
    audio: bytes


def bake_line(line: Line, read_from: str | None = None) -> tuple[bytes | None, str | None]:
    """(the output's bytes, None), or (None, the one-line error). Runs in a worker: the model
    and the decoder stay loaded there between lines (cached per process). `read_from`: a
    copy of the line's audio to read instead of line.audio (the output still names line.audio)."""
    try:
        return _bake_bytes(line, read_from or line.audio), None
    except VoxrigError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one line fails, the batch goes on
        return None, f"internal error: {type(exc).__name__}: {exc}"


def bake_sent_line(sent: SentLine) -> tuple[bytes | None, str | None]:
    """bake_line from bytes: they go to a temporary file named as the original (so the bake
    reads and decodes it exactly as a bake of the original file), gone after the line."""
    with tempfile.TemporaryDirectory(prefix="voxrig-batch-") as folder:
        copy = Path(folder) / Path(sent.line.audio).name
        copy.write_bytes(sent.audio)
        data, error = bake_line(sent.line, read_from=str(copy))
    return data, error if error is None else error.replace(str(copy), sent.line.audio)


def _bake_bytes(line: Line, read_from: str) -> bytes:
    from voxrig.core.bake import bake

    from .bake_config import bake_config
    from .exporters import EXPORTERS, ExportOptions

    opts = line.options
    if opts.format not in EXPORTERS:
        raise VoxrigError(f"unknown format {opts.format!r}")
    if opts.keypoints and opts.format != "json":
        raise VoxrigError("keypoints can only be written to JSON (format json)")
    config = bake_config(fps=opts.fps, kind=opts.format, visemes=opts.visemes,
                         keypoints=opts.keypoints, engine=opts.engine, strength=opts.strength,
                         language=opts.language, emotion=opts.emotion, idle=opts.idle,
                         listen=opts.listen, heard=opts.heard_phones)
    clip = bake(read_from, line.transcript or None, config)
    if read_from != line.audio:  # a copy was baked: the clip names the line's own audio
        clip.meta["source"] = line.audio
        clip.meta["warnings"] = [w.replace(read_from, line.audio)
                                 for w in clip.meta["warnings"]]
    options = ExportOptions(name=Path(line.output).name.split(".")[0] or "voxrig",
                            unity_path=opts.unity_path, sound_file=line.audio)
    return EXPORTERS[opts.format].write(clip, options)


# ---- running a batch ------------------------------------------------------------------------

Runner = Callable[[list[Line]], Iterable[tuple[int, tuple[bytes | None, str | None]]]]


def local_pool(workers: int) -> Runner:
    """Bake lines on `workers` processes (in this process for one), results as they come."""
    def run_lines(lines: list[Line]) -> Iterator[tuple[int, tuple[bytes | None, str | None]]]:
        if workers <= 1:
            for number, line in enumerate(lines):
                yield number, bake_line(line)
            return
        # spawn: an onnxruntime session is not meant to cross a fork
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(bake_line, line): n for n, line in enumerate(lines)}
            for future in as_completed(futures):
                yield futures[future], future.result()
    return run_lines


def dask_cluster(address: str, send_audio: bool = False, in_flight: int = DASK_IN_FLIGHT
                 ) -> Runner:  # fmt: skip
    """Bake lines on a Dask distributed cluster: `local` starts a LocalCluster (2 worker
    processes on 127.0.0.1), anything else is a scheduler address (tcp://host:8786). The
    workers read the audio by its path, or with `send_audio` get its bytes with the task (for
    workers that do not share this file system); they send back the output's bytes. At most
    `in_flight` lines are on the cluster at a time (see _on_cluster)."""
    def run_lines(lines: list[Line]) -> Iterator[tuple[int, tuple[bytes | None, str | None]]]:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise VoxrigError("--dask needs Dask distributed: pip install 'voxrig[batch]'"
                              ) from None
        if address == "local":
            cluster = LocalCluster(n_workers=DASK_LOCAL_WORKERS, threads_per_worker=1,
                                   processes=True, host="127.0.0.1", dashboard_address=None)
        else:
            cluster = None
        try:
            with Client(cluster if cluster is not None else address) as client:
                yield from _on_cluster(client, lines, send_audio, in_flight)
        except OSError as exc:
            raise VoxrigError(f"cannot reach the Dask scheduler {address!r}: {exc}") from None
        finally:
            if cluster is not None:
                cluster.close()
    return run_lines


def _on_cluster(client, lines: list[Line], send_audio: bool, in_flight: int  # noqa: ANN001
                ) -> Iterator[tuple[int, tuple[bytes | None, str | None]]]:  # fmt: skip
    """Lines go to the cluster a window at a time, each one's audio read just before it is
    sent: a batch of thousands of lines never holds more than `in_flight` files' bytes in
    this process (nor on the scheduler), and a file that cannot be read then fails alone."""
    from distributed import as_completed

    waiting = list(enumerate(lines))[::-1]  # popped from the end: in the lines' order
    running = as_completed()
    numbers: dict[str, int] = {}

    def submit() -> Iterator[tuple[int, tuple[bytes | None, str | None]]]:
        while waiting and running.count() < in_flight:
            number, line = waiting.pop()
            try:
                task = (bake_sent_line, _sent(line)) if send_audio else (bake_line, line)
            except VoxrigError as exc:
                yield number, (None, str(exc))
                continue
            future = client.submit(*task, pure=False)
            numbers[future.key] = number
            running.add(future)

    yield from submit()
    for future in running:
        yield numbers.pop(future.key), future.result()
        yield from submit()


def _sent(line: Line) -> SentLine:
    try:
        return SentLine(line, Path(line.audio).read_bytes())
    except OSError as exc:
        raise VoxrigError(f"cannot read {line.audio!r}: {exc.strerror}") from None


def run(source: str | Path | list[Line], outdir: str | Path, workers: int | None = None,
        overwrite_edited: bool = False, defaults: LineOptions | None = None,
        runner: Runner | None = None, progress: bool = False,
        dask: str | None = None, send_audio: bool = False) -> Summary:
    """Bake every line of a folder or manifest (or a list of Lines) into `outdir`, skipping
    what is up to date. Returns what was done; failures are per line, never raised. `dask`:
    a scheduler address or `local` (see dask_cluster) instead of the local process pool;
    `send_audio`: the audio's bytes go with each Dask task (see dask_cluster)."""
    lines = source if isinstance(source, list) else read_lines(source, defaults)
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoxrigError(f"cannot create folder {str(outdir)!r}: {exc.strerror}") from None
    _check_unique(lines)
    if runner is None:
        runner = (dask_cluster(dask, send_audio) if dask
                  else local_pool(workers or os.cpu_count() or 1))
    version = versions()
    summary = Summary()
    index = Index(outdir)
    try:
        todo: list[tuple[Line, str]] = []
        for line in lines:
            try:
                key = line_key(line, version)
            except VoxrigError as exc:
                summary.failed[line.output] = str(exc)
                continue
            decision = _decide(index, outdir, line.output, key, overwrite_edited)
            if decision == "skip":
                summary.skipped.append(line.output)
            elif decision == "kept":
                summary.kept.append(line.output)
            else:
                todo.append((line, key))
        _bake_all(todo, runner, index, outdir, summary, progress)
    finally:
        index.close()
    _write_failed(outdir, lines, summary)
    return summary


def _bake_all(todo: list[tuple[Line, str]], runner: Runner, index: Index, outdir: Path,
              summary: Summary, progress: bool) -> None:
    bar = ProgressBar(enabled=progress)
    started = time.monotonic()
    try:
        for count, (number, (data, error)) in enumerate(runner([t[0] for t in todo]), 1):
            line, key = todo[number]
            if error is not None:
                summary.failed[line.output] = error
                record = index.get(line.output)
                index.put(line.output, "", record[1] if record else None, None, "failed", error)
            else:
                assert data is not None
                _store(index, outdir, line.output, key, data)
                summary.done.append(line.output)
            bar(count / len(todo), _rate(count, len(todo), time.monotonic() - started))
    finally:
        bar.close()


def _store(index: Index, outdir: Path, output: str, key: str, data: bytes) -> None:
    """Write one output and its row so that a kill between any two steps is recoverable."""
    path = outdir / output
    path.parent.mkdir(parents=True, exist_ok=True)
    index.put(output, key, hashlib.sha256(data).hexdigest(), _file_hash(path), "pending")
    write_atomic(path, data)
    index.put(output, key, hashlib.sha256(data).hexdigest(), None, "done")


def _rate(count: int, total: int, elapsed: float) -> str:
    per_minute = count / max(elapsed, 1e-9) * 60.0
    eta = (total - count) / max(per_minute, 1e-9) * 60.0
    return f"{count}/{total} lines {per_minute:.0f}/min ETA {eta:.0f}s"


def _check_unique(lines: list[Line]) -> None:
    seen: dict[str, str] = {}
    for line in lines:
        if line.output in seen:
            raise VoxrigError(f"{line.audio!r} and {seen[line.output]!r} both write "
                              f"{line.output!r}; give one an 'output' name")
        seen[line.output] = line.audio


def _write_failed(outdir: Path, lines: list[Line], summary: Summary) -> None:
    """failed.jsonl: a manifest of the failed lines (with their errors) to rerun."""
    rows = []
    for line in lines:
        if line.output in summary.failed:
            row = {"audio": str(Path(line.audio).resolve()), "transcript": line.transcript,
                   "output": line.output, **asdict(line.options),
                   "error": summary.failed[line.output]}
            rows.append(json.dumps(row))
    path = outdir / FAILED_NAME
    if rows:
        write_atomic(path, ("\n".join(rows) + "\n").encode())
    else:
        path.unlink(missing_ok=True)
