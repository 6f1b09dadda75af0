"""`python -m bench --only untuned`: recording conditions that no threshold, gate or weight of
voxrig was tuned on (bench/degrade.py's are the tuning set of issue 14), so a change is judged
on conditions it has not seen. On the four phone-tier clips: event with the transcript and
without (neural), fall-backs of the matching transcript and whether another clip's
transcript is still caught; on the 64 transcribed English clips of bench/unseen.py: the same
fall-backs and catches. Every condition is seeded and written as the file a user would hand
voxrig (16-bit wav, mp3, 48 kHz stereo) under build/untuned/.

The second talker is real Mandarin speech from ../shared/data/facegood (MIT), never a
transcript here; mp3 needs imageio-ffmpeg (the dev extra)."""

from __future__ import annotations

import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from . import datasets, degrade, metrics, unseen
from .results import BENCH, git_sha, publish, stamped

RESULTS_DIR = BENCH / "untuned_results"
CACHE_DIR = datasets.REPO_ROOT / "build" / "untuned"
SEED = 21
LOUD_SHARE = 0.02  # samples above this share of the peak are the speech a level is read on
QUIET_PEAK_DBFS = -38.0
CLIPPED_SHARE = 0.03
MP3_BITRATE = "32k"
BED_SNR_DB = 10.0  # music, hum and the second talker: this far under the speech
MUFFLED_HZ = 2500.0
STEREO_RATE = 48000
HUM_HZ = 50.0

# (mono samples, their rate, the condition's random stream, the path without suffix) -> the
# file written
Writer = Callable[[np.ndarray, int, np.random.Generator, Path], Path]


@dataclass(frozen=True)
class Untuned:
    name: str
    write: Writer
    description: str


def _wav(samples: np.ndarray, rate: int, stem: Path) -> Path:
    return degrade.write_pcm16(samples, rate, stem.with_suffix(".wav"))


def speech_power(samples: np.ndarray) -> float:
    """Mean power of the samples louder than LOUD_SHARE of the peak (the speech, roughly)."""
    return degrade.speech_power(samples, np.abs(samples) > LOUD_SHARE * np.max(np.abs(samples)))


def under(samples: np.ndarray, bed: np.ndarray, snr_db: float) -> np.ndarray:
    """`bed` (looped to length) mixed `snr_db` under the speech, both read by speech_power."""
    bed = np.resize(bed, len(samples))
    return samples + bed * np.sqrt(speech_power(samples) / speech_power(bed) / 10 ** (snr_db / 10))


def music(n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Sustained chords (four harmonic tones each, a new chord every 2 s), swelling slowly."""
    t = np.arange(n) / rate
    out = np.zeros(n)
    for start in range(0, n, 2 * rate):
        root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
        part = slice(start, min(n, start + 2 * rate))
        for k, interval in enumerate((0, 4, 7, 12)):
            f0 = root * 2 ** (interval / 12)
            swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t[part] + k)
            out[part] += swell * sum(np.sin(2 * np.pi * f0 * h * t[part]) / h for h in range(1, 6))
    return out


def hum(n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    return sum(np.sin(2 * np.pi * HUM_HZ * h * t) / h for h in (1, 2, 3, 5))


def second_talker(n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Real Mandarin speech from a random point of a FACEGOOD clip, at `rate`."""
    clips = datasets.facegood_clips()
    samples, source_rate = sf.read(str(clips[int(rng.integers(len(clips)))].audio),
                                   dtype="float64", always_2d=True)
    mono = samples.mean(axis=1)
    if source_rate != rate:
        ratio = Fraction(rate, int(source_rate))
        mono = signal.resample_poly(mono, ratio.numerator, ratio.denominator)
    start = int(rng.integers(0, max(1, len(mono) - n)))
    return mono[start:start + n]


def _quiet(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    return _wav(x / np.max(np.abs(x)) * 10 ** (QUIET_PEAK_DBFS / 20), rate, stem)


def _clipped(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    level = np.quantile(np.abs(x), 1 - CLIPPED_SHARE)
    return _wav(np.clip(x / level, -1.0, 1.0), rate, stem)


def _mp3(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    import imageio_ffmpeg

    wav = _wav(x / np.max(np.abs(x)) * 0.7, rate, stem.with_name(stem.name + "-source"))
    path = stem.with_suffix(".mp3")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav),
                    "-b:a", MP3_BITRATE, str(path)], check=True)
    wav.unlink()
    return path


def _music(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    return _wav(under(x, music(len(x), rate, rng), BED_SNR_DB), rate, stem)


def _hum(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    return _wav(under(x, hum(len(x), rate), BED_SNR_DB), rate, stem)


def _talker(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    return _wav(under(x, second_talker(len(x), rate, rng), BED_SNR_DB), rate, stem)


def _stereo(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    ratio = Fraction(STEREO_RATE, rate)
    wide = signal.resample_poly(x, ratio.numerator, ratio.denominator)
    return _wav(np.stack([wide, np.zeros_like(wide)], axis=1), STEREO_RATE, stem)


def _muffled(x: np.ndarray, rate: int, rng: np.random.Generator, stem: Path) -> Path:
    sos = signal.butter(6, MUFFLED_HZ, fs=rate, output="sos")
    return _wav(signal.sosfiltfilt(sos, x), rate, stem)


CONDITIONS: tuple[Untuned, ...] = (
    Untuned("quiet", _quiet, f"peak {QUIET_PEAK_DBFS:g} dBFS, 16-bit"),
    Untuned("clipped", _clipped, f"{CLIPPED_SHARE:.0%} of the samples at full scale"),
    Untuned("mp3", _mp3, f"MP3 at {MP3_BITRATE}bit/s (ffmpeg's LAME)"),
    Untuned("music", _music, f"sustained chords {BED_SNR_DB:g} dB under the speech"),
    Untuned("hum", _hum, f"{HUM_HZ:g} Hz mains hum with harmonics, {BED_SNR_DB:g} dB under"),
    Untuned("second talker", _talker,
            f"real Mandarin speech (FACEGOOD) {BED_SNR_DB:g} dB under the speech"),
    Untuned("48 kHz stereo", _stereo, "48 kHz, the voice on the left channel, the right silent"),
    Untuned("muffled", _muffled, f"low-passed at {MUFFLED_HZ:g} Hz (6th-order Butterworth)"),
)


def generator(condition: str, clip: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(condition.encode()), zlib.crc32(clip.encode())])


def written(condition: Untuned, name: str, audio: Path) -> Path:
    """The clip's audio (channels averaged, its own rate) under the condition, as a file."""
    samples, rate = sf.read(str(audio), dtype="float64", always_2d=True)
    return condition.write(samples.mean(axis=1), int(rate), generator(condition.name, name),
                           CACHE_DIR / degrade.slug(condition.name) / name)


def _mp3_or_wav(path: Path) -> Path:
    """A Common Voice clip is an mp3: decode it once through voxrig's own reader."""
    if path.suffix.lower() in (".wav", ".flac"):
        return path
    from voxrig.core.audio import load_audio

    audio = load_audio(path)
    out = CACHE_DIR / "decoded" / (path.stem + ".wav")
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out), audio.samples, audio.sample_rate, subtype="FLOAT")
    return out


def run_tiers(condition: Untuned) -> dict:
    clips = datasets.english_phone_clips()
    counts: dict[str, list] = {unseen.MODES[0]: [], unseen.MODES[1]: []}
    fell, caught = [], 0
    for k, clip in enumerate(clips):
        path = written(condition, clip.name, clip.audio)
        for mode in counts:
            text = clip.transcript if mode == unseen.MODES[0] else None
            baked = unseen.bake_clip(path, text)
            counts[mode].append(metrics.event_counts(metrics.arkit_weights(baked), baked.fps,
                                                     clip.phones))
            if text and unseen.fell_back(baked):
                fell.append(clip.name)
        caught += unseen.detected(unseen.bake_clip(path, clips[(k + 1) % len(clips)].transcript))
    return {"modes": {m: unseen.scored(c) for m, c in counts.items()}, "fell_back": fell,
            "wrong_detected": caught, "clips": len(clips)}


def run_transcribed(condition: Untuned) -> dict:
    clips = unseen.transcribed_english()
    fell, partly, caught = [], [], 0
    for k, clip in enumerate(clips):
        path = written(condition, clip.name, _mp3_or_wav(clip.audio))
        own = unseen.bake_clip(path, clip.transcript)
        if unseen.fell_back(own):
            fell.append(clip.name)
        elif unseen.partly_fell_back(own):
            partly.append(clip.name)
        caught += unseen.detected(unseen.bake_clip(path, unseen.wrong_for(clips, k)))
    return {"fell_back": fell, "partly_fell_back": partly, "wrong_detected": caught,
            "clips": len(clips)}


def format_report(payload: dict) -> str:
    lines = ["Conditions nobody tuned for (phone-tier clips: event with / without transcript, "
             "fall-backs; transcribed English: fall-backs, in part; wrong transcripts caught)",
             f"{'condition':16s} {'text':>6s} {'neural':>6s} {'fell':>4s}   "
             f"{'fell':>4s} {'part':>4s}   {'wrong caught':>12s}"]
    for name, row in payload["conditions"].items():
        tiers, words = row["tiers"], row["transcribed"]
        text = tiers["modes"][unseen.MODES[0]].get("event", float("nan"))
        neural = tiers["modes"][unseen.MODES[1]].get("event", float("nan"))
        caught = tiers["wrong_detected"] + words["wrong_detected"]
        lines.append(f"{name:16s} {text:6.3f} {neural:6.3f} {len(tiers['fell_back']):4d}   "
                     f"{len(words['fell_back']):4d} {len(words['partly_fell_back']):4d}   "
                     f"{caught:5d}/{tiers['clips'] + words['clips']}")
    return "\n".join(lines)


def format_diff(payload: dict, previous: dict, label: str) -> str:
    lines = [f"Change from {label} (event with / without transcript, fall-backs):"]
    for name, row in payload["conditions"].items():
        old = previous.get("conditions", {}).get(name)
        if old is None:
            continue
        deltas = [row["tiers"]["modes"][m].get("event", 0.0) - old["tiers"]["modes"][m]
                  .get("event", 0.0) for m in (unseen.MODES[0], unseen.MODES[1])]
        fell = len(row["transcribed"]["fell_back"]) - len(old["transcribed"]["fell_back"])
        lines.append(f"  {name:16s} {deltas[0]:+.3f} {deltas[1]:+.3f}  fall-backs {fell:+d}")
    return "\n".join(lines)


def main() -> int:
    t0 = time.perf_counter()
    conditions = {}
    for condition in CONDITIONS:
        print(f"[bench] untuned: {condition.name} ...", file=sys.stderr, flush=True)
        conditions[condition.name] = {"description": condition.description,
                                      "tiers": run_tiers(condition),
                                      "transcribed": run_transcribed(condition)}
    payload = stamped(git_sha(), seed=SEED, conditions=conditions,
                      seconds=round(time.perf_counter() - t0, 1))
    publish(payload, RESULTS_DIR, format_report, format_diff)
    return 0


if __name__ == "__main__":
    sys.exit(main())
