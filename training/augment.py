"""Make clean synthetic (or studio) speech sound like the recordings users bring: room
reverb, background noise, gain and clipping, band-limited and lossy channels, and speed
changes (pitch and tempo together, phone times scaled to match). Seeded by the caller."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
from scipy import signal

from voxrig.core.config import ANALYSIS_RATE as RATE


@dataclass
class Augmented:
    samples: np.ndarray
    speed: float  # audio plays this much faster than the source: times scale by 1 / speed
    steps: list[str]


def speed_change(x: np.ndarray, speed: float) -> np.ndarray:
    """Resample so the audio lasts 1/speed as long (pitch rises with speed)."""
    up, down = {0.9: (10, 9), 0.95: (20, 19), 1.05: (20, 21), 1.1: (10, 11)}[speed]
    return signal.resample_poly(x, up, down).astype(np.float32)


def room(rng: np.random.Generator) -> np.ndarray:
    """A synthetic room impulse response: direct path, a few early reflections and an
    exponentially decaying diffuse tail with RT60 between 0.15 and 0.9 s."""
    rt60 = rng.uniform(0.15, 0.9)
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.005 * RATE)] = 0.0
    h = tail * rng.uniform(0.05, 0.3)
    h[0] = 1.0
    for _ in range(4):
        h[int(rng.uniform(0.002, 0.03) * RATE)] += rng.uniform(-0.5, 0.5)
    return (h / np.sqrt(np.sum(h**2))).astype(np.float32)


def coloured_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """White, pink or brown noise of unit RMS."""
    white = rng.standard_normal(n)
    slope = rng.choice([0.0, 0.5, 1.0])
    if slope:
        spectrum = np.fft.rfft(white)
        f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
        white = np.fft.irfft(spectrum / f**slope, n)
    return (white / (np.sqrt(np.mean(white**2)) + 1e-12)).astype(np.float32)


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    power = np.mean(x**2) + 1e-12
    noise = noise[: len(x)]
    return x + noise * np.sqrt(power / (10 ** (snr_db / 10)) / (np.mean(noise**2) + 1e-12))


def band_limit(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Telephone-to-laptop-mic channels: a low-pass between 3 and 7 kHz, sometimes a
    high-pass between 100 and 400 Hz."""
    sos = signal.butter(6, rng.uniform(3000, 7000), "low", fs=RATE, output="sos")
    x = signal.sosfilt(sos, x)
    if rng.random() < 0.5:
        x = signal.sosfilt(signal.butter(2, rng.uniform(100, 400), "high", fs=RATE,
                                         output="sos"), x)
    return x.astype(np.float32)


def codec(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Round-trip through a lossy codec libsndfile has: Opus, MP3, or 8 kHz mu-law."""
    kind = str(rng.choice(["opus", "mp3", "ulaw"]))
    if kind == "ulaw":
        low = signal.resample_poly(x, 1, 2)
        buffer = io.BytesIO()
        sf.write(buffer, np.clip(low, -1, 1), RATE // 2, format="WAV", subtype="ULAW")
        buffer.seek(0)
        y = signal.resample_poly(sf.read(buffer, dtype="float32")[0], 2, 1)
    else:
        buffer = io.BytesIO()
        fmt, sub = ("OGG", "OPUS") if kind == "opus" else ("MP3", "MPEG_LAYER_III")
        rate = 48000 if kind == "opus" else RATE
        data = signal.resample_poly(x, 3, 1) if kind == "opus" else x
        sf.write(buffer, np.clip(data, -1, 1), rate, format=fmt, subtype=sub)
        buffer.seek(0)
        y, got = sf.read(buffer, dtype="float32")
        if got != RATE:
            y = signal.resample_poly(y, 1, 3)
    y = np.asarray(y, np.float32).reshape(-1)
    if kind == "mp3":  # the MP3 decoder adds a start delay of ~1 frame (1105 samples at
        # 16 kHz in libmpg123 through libsndfile); find it so phone times stay exact.
        lag = _delay(x, y)
        y = y[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag, np.float32), y])
    out = np.zeros_like(x)
    out[: min(len(x), len(y))] = y[: len(x)]
    return out, kind


def _delay(x: np.ndarray, y: np.ndarray, search: int = 3000) -> int:
    n = min(len(x), len(y), RATE * 2)
    corr = signal.correlate(y[: n + search], x[:n], mode="valid")
    return int(np.argmax(corr[: search + 1]))


def augment(x: np.ndarray, rng: np.random.Generator, babble: np.ndarray | None = None,
            allow_speed: bool = True) -> Augmented:
    """One random degradation chain. `babble` is other speech to use as background."""
    steps: list[str] = []
    speed = 1.0
    if allow_speed and rng.random() < 0.4:
        speed = float(rng.choice([0.9, 0.95, 1.05, 1.1]))
        x = speed_change(x, speed)
        steps.append(f"speed{speed}")
    if rng.random() < 0.4:
        x = signal.fftconvolve(x, room(rng))[: len(x)].astype(np.float32)
        steps.append("reverb")
    if rng.random() < 0.6:
        if babble is not None and len(babble) and rng.random() < 0.3:
            noise = np.resize(babble, len(x)).astype(np.float32)
            steps.append("babble")
        else:
            noise = coloured_noise(rng, len(x))
            steps.append("noise")
        x = add_noise(x, noise, rng.uniform(5, 35))
    if rng.random() < 0.35:
        x = band_limit(x, rng)
        steps.append("band")
    x = level(x, rng)
    if rng.random() < 0.3:
        x, kind = codec(x, rng)
        steps.append(kind)
    if rng.random() < 0.08:  # clipped recordings
        x = np.clip(x * rng.uniform(2, 6), -1, 1)
        steps.append("clip")
    return Augmented(x.astype(np.float32), speed, steps)


def level(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random recording level: peak between -35 and -1 dBFS."""
    peak = np.max(np.abs(x)) + 1e-9
    return (x * (10 ** (rng.uniform(-35, -1) / 20) / peak)).astype(np.float32)
