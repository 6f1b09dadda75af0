"""One typed configuration object for a bake, with defaults that work. Each component reads
its own section; the CLI and the Blender add-on fill it from their options."""

from __future__ import annotations

from dataclasses import dataclass, field

# The one sample rate of every analysis stage: pocketsphinx's acoustic model and the neural
# model were both trained on 16 kHz audio, so every input is decoded to it. A fact of the
# models, not a knob: a model trained at another rate would change it here, for all stages.
ANALYSIS_RATE = 16000


@dataclass
class AudioConfig:
    long_input_seconds: float = 600.0  # longer files are read and processed in chunks
    chunk_seconds: float = 60.0  # target chunk length for long files (cut at pauses)


@dataclass
class AlignConfig:
    language: str = "en-us"  # pocketsphinx model folder (acoustic model, dictionary, phone LM)
    # The transcript's language: "auto" (English, or what a non-Latin script says: Han ->
    # cmn, kana -> ja, Hangul -> ko, ...) or an espeak-ng code (es, sv, fr, ...); words of
    # other languages get espeak-ng's phones, aligned with the English acoustic model.
    text_language: str = "auto"
    # Below this share of transcript words aligned with plausible timing, the transcript is
    # judged not to match the audio and recognition is used instead.
    min_match: float = 0.65  # 4 of 6 words (a GRID command with a spelled letter) still fit
    # A word (or a pause) whose acoustic score per 10 ms frame, relative to the best model
    # state, is below this is not explained by the transcript. Matching words score -5..-30.
    min_frame_score: float = -45.0
    # This much unexplained speech in the pauses of an alignment means words are missing.
    max_uncovered_seconds: float = 0.4
    topn: int = 2  # Gaussians scored per mixture: 2 is as accurate as 4 here and faster
    # Weight of the phone bigram in recognition; pocketsphinx's 6.5 over-trusts it: 3 cut the
    # phone error rate from 0.55 to 0.43 on the reference tiers (0.59 to 0.49 on LJSpeech).
    phone_lm_weight: float = 3.0
    workers: int = 2  # processes for long audio (decoding; the voice analysed beside the engine)
    parallel_min_seconds: float = 20.0  # shorter audio is decoded in one process
    max_words_per_second: float = 6.0  # transcript words offered to one chunk of a long file
    # Prior for a chunk of a long file to start past unspoken transcript words (resyncing
    # after a stretch of transcript that was never said).
    skip_probability: float = 1e-4
    # Beams of the alignment search. pocketsphinx's defaults (1e-48 / 7e-29) prune every path
    # through noisy, reverberant or telephone speech ("no hypothesis"); these keep the right
    # one alive at about the same speed on 2 cores (a wrong transcript still fails to fit).
    beam: float = 1e-80
    word_beam: float = 1e-60
    # Very fast or clipped speech can need still wider beams; tried last, when the above
    # find no path at all (slower: about 2x).
    last_beam: float = 1e-200
    # What people say and do not write: per-gap probability of a hesitation (uh, um, hm)
    # between two transcript words, of a word said twice (a restart), and of a written
    # filler that was not said.
    filler_probability: float = 0.01
    repeat_probability: float = 0.01
    unsaid_filler_probability: float = 0.3
    # When an alignment is not plausible enough, the audio is cut at pauses and each piece is
    # aligned to the run of words it holds; at least this share of the transcript's words
    # must be placed so, else the transcript is judged to belong to other audio.
    min_placed: float = 0.5


@dataclass
class AnimatorConfig:
    strength: float = 1.0  # articulation strength: 0 = still mouth, 1 = natural, >1 = crisp
    rate: float = 200.0  # Hz of the internal curve grid, resampled to the output fps
    min_closure: float = 0.05  # s: shortest lip seal of a P/B/M (never shorter than a frame)
    closure_ramp: float = 0.03  # s: lips closing / opening around a seal
    pause_min: float = 0.25  # s: silences this long rest the mouth fully
    rest_delay: float = 0.06  # s: after speech stops, the mouth reaches rest this soon
    onset_lead: float = 0.08  # s: before speech resumes, rest is released this early
    loudness: float = 0.3  # 0..1: share of the jaw driven by the voice's loudness (needs
    # audio; doubled for recognised phones, which are less reliable than aligned ones)
    # Without a transcript the neural engine also recognises the phones (pocketsphinx) and
    # seals the closures / makes the roundings it hears where its mouth nearly does
    # (animator/heard.py); False skips the recognition: faster, fewer closures on new voices.
    heard_phones: bool = True


@dataclass
class EmotionConfig:
    # "auto": from the transcript's words (and inline tags) and the voice; "none": no
    # expression; anything else: the path of a voxrig.emotion timeline file.
    mode: str = "auto"
    step: float = 0.25  # s between analysis steps (expression eases between them)
    intensity_low: float = 0.45  # expression intensity for the calmest voice ...
    intensity_high: float = 0.9  # ... and the most aroused (a preset range within [0, 1])
    mouth_limit: float = 0.35  # most an expression may add to any mouth channel


@dataclass
class IdleConfig:
    enabled: bool = True  # blinks, gaze, head motion, breaths
    strength: float = 1.0  # 0 = still, 1 = natural, >1 = livelier
    blink_rate: float = 15.0  # spontaneous blinks per minute (phrase ends add more)
    seed: int = 0  # the same seed gives the same motion
    listen: bool = False  # listening mode: no lip motion, the face reacts to the speech


@dataclass
class Config:
    fps: float = 30.0
    # "neural": the ONNX audio-to-face model (any language, no recognition); "phonetic": the
    # phone-based animator (recognised or aligned phones); "auto": neural without a
    # transcript, phonetic with one (aligned phones are the phonetic animator's strength).
    engine: str = "auto"
    visemes: bool = False  # add OVR-15 viseme weights to the clip
    keypoints: bool = False  # add 68x3 keypoint displacements to the clip
    audio: AudioConfig = field(default_factory=AudioConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    animator: AnimatorConfig = field(default_factory=AnimatorConfig)
    emotion: EmotionConfig = field(default_factory=EmotionConfig)
    idle: IdleConfig = field(default_factory=IdleConfig)
