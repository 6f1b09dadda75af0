"""Speed of `voxrig preview`'s CPU renderer at 512x512: frames per second of rendering alone
(the part issue 7 asks to be >= 15 fps on 2 cores) and of the whole preview (rendering +
H.264/AAC encoding), on the bundled LJSpeech sample baked with its transcript.

`python -m bench --only render` (or `python -m bench.render`). Results go to
bench/render_results/<date>-<sha>.json (apart from the quality results, so the two never mix);
the change from the previous committed render results is printed. Other processes on the
machine slow this down: the load average at the start is saved beside the numbers."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .results import BENCH, git_sha, previous_results, results_path, stamped, write_results

RESULTS_DIR = BENCH / "render_results"
TARGET_FPS = 15.0


def measure(repeats: int = 2) -> dict:
    from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT
    from voxrig.bridge.preview.compose import preview_frames, write_preview
    from voxrig.bridge.preview.render import HeadRenderer
    from voxrig.core.bake import bake

    load = os.getloadavg()[0]
    clip = bake(SAMPLE_AUDIO, SAMPLE_TEXT.read_text(encoding="utf-8"))
    frames = clip.frame_count
    started = time.perf_counter()
    HeadRenderer(clip.weights)
    setup = time.perf_counter() - started

    render_best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _frame in preview_frames([clip]):
            pass
        render_best = min(render_best, time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_preview([clip], Path(folder) / "bench.mp4", audio=SAMPLE_AUDIO)
        whole = time.perf_counter() - started
    return {
        "frames": frames,
        "size": 512,
        "clip_seconds": round(clip.duration, 3),
        "setup_seconds": round(setup, 3),
        "render_fps": round(frames / render_best, 2),
        "preview_fps": round(frames / whole, 2),
        "preview_x_realtime": round(clip.duration / whole, 2),
        "load_average_at_start": round(load, 2),
        "cpu_count": os.cpu_count(),
    }


def main() -> int:
    print("[bench] render: 512x512 preview of the bundled sample ...", file=sys.stderr,
          flush=True)
    result = measure()
    verdict = "meets" if result["render_fps"] >= TARGET_FPS else "BELOW"
    print(f"render   {result['render_fps']:7.2f} fps   ({verdict} the {TARGET_FPS:g} fps target; "
          f"{result['frames']} frames, setup {result['setup_seconds']:.2f} s)")
    print(f"preview  {result['preview_fps']:7.2f} fps   (render + H.264/AAC encode, "
          f"{result['preview_x_realtime']:.2f}x real time)")
    if result["load_average_at_start"] > 0.5:
        print(f"note: load average {result['load_average_at_start']:.2f} on "
              f"{result['cpu_count']} cores when measuring; an idle machine is faster")
    sha = git_sha()
    path = results_path(RESULTS_DIR, sha)
    previous_path = previous_results(path, RESULTS_DIR)
    if previous_path is not None:
        previous = json.loads(previous_path.read_text())
        changes = [f"{key} {result[key] - previous[key]:+.2f}"
                   for key in ("render_fps", "preview_fps") if key in previous]
        print(f"change from {previous_path.name}: " + ", ".join(changes))
    write_results(path, stamped(sha, **result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
