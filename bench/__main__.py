"""`python -m bench`: one table of lip-sync quality (event score on English clips with phone
tiers, r_gap & co. on FACEGOOD) and speed, for voxrig, the PyPI peers and a still mouth.
Results go to bench/results/<date>-<sha>.json; the change from the previous committed results
file is printed below the table."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict

from . import datasets, metrics
from .results import MAIN_RESULTS, git_sha, previous_results, results_path, stamped, write_results
from .systems import SYSTEMS, System, first_line

RESULTS_DIR = MAIN_RESULTS


def run_english(system: System) -> dict:
    clips = datasets.english_phone_clips()
    counts = []
    t0 = time.perf_counter()
    for clip in clips:
        weights, fps = system.predict(clip.audio, clip.transcript)
        counts.append(metrics.event_counts(weights, fps, clip.phones))
    score = metrics.event_score(counts)
    out = {k: round(v, 4) for k, v in score.as_dict().items()}
    out["counts"] = {c: asdict(getattr(score.counts, c)) for c in metrics.CATEGORIES}
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def run_facegood(system: System) -> dict:
    per_clip = []
    t0 = time.perf_counter()
    for clip in datasets.facegood_clips():
        weights, fps = system.predict(clip.audio, None)
        per_clip.append(metrics.facegood_metrics(weights, fps, clip.weights, clip.fps))
    mean = metrics.mean_metrics(per_clip)
    out = {k: round(v, 4) for k, v in mean.as_dict().items()}
    out["per_clip_r_gap"] = [round(m.r_gap, 4) for m in per_clip]
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


COLUMNS = (
    ("english", "event", "event", 3), ("english", "B", "B", 2), ("english", "O", "O", 2),
    ("english", "R", "R", 2), ("english", "S", "S", 2),
    ("facegood", "r_gap", "r_gap", 3), ("facegood", "r_width", "r_width", 3),
    ("facegood", "lve", "LVE mm", 2), ("facegood", "lag", "lag ms", 0),
    ("facegood", "jitter", "jitter", 3),
    ("speed", "wall_seconds", "60s wall", 2), ("speed", "x_realtime", "x RT", 1),
    ("speed", "peak_rss_mb", "RSS MB", 0),
)


def _cell(row: dict, section: str, key: str, digits: int) -> str:
    part = row.get(section)
    if not isinstance(part, dict) or key not in part or part[key] is None:
        return "-"
    value = part[key]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if key == "lag":
        value = value * 1000.0
    return f"{value:.{digits}f}"


def format_table(rows: dict[str, dict]) -> str:
    name_width = max(len(n) for n in rows) + 2
    widths = [max(len(title), 6) for _, _, title, _ in COLUMNS]
    head = "".ljust(name_width) + " ".join(t.rjust(w) for (_, _, t, _), w in zip(COLUMNS,
                                                                                  widths,
                                                                                  strict=True))
    groups = (("English, 4 clips with phone tiers", 0, 5), ("FACEGOOD, 5 clips, no text", 5, 10),
              ("speed, 60 s input", 10, 13))
    banner = "".ljust(name_width) + "".join(
        f" {title} ".center(sum(widths[a:b]) + (b - a), "-")[: sum(widths[a:b]) + (b - a)]
        for title, a, b in groups
    )
    lines = [
        banner,
        head,
        "-" * len(head),
    ]
    notes = []
    for name, row in rows.items():
        cells = [_cell(row, s, k, d).rjust(w) for (s, k, _, d), w in zip(COLUMNS, widths,
                                                                           strict=True)]
        lines.append(name.ljust(name_width) + " ".join(cells))
        for section in ("english", "facegood", "speed"):
            err = row.get(section, {}).get("error") if isinstance(row.get(section), dict) \
                else None
            if err:
                notes.append(f"  {name} / {section}: {err}")
    if notes:
        lines += ["", "not measured:", *notes]
    return "\n".join(lines)


def format_diff(rows: dict[str, dict], previous: dict[str, dict], label: str) -> str:
    lines = [f"change from {label}:"]
    for name, row in rows.items():
        before = previous.get(name)
        if not before:
            continue
        changes = []
        for section, key, title, digits in COLUMNS:
            new, old = (row.get(section) or {}).get(key), (before.get(section) or {}).get(key)
            if not isinstance(new, int | float) or not isinstance(old, int | float):
                continue
            if any(math.isnan(x) for x in (new, old)):
                continue
            scale = 1000.0 if key == "lag" else 1.0
            delta = (new - old) * scale
            if abs(delta) >= 0.5 * 10 ** (-max(digits, 1)):
                changes.append(f"{title} {delta:+.{max(digits, 1)}f}")
        lines.append(f"  {name}: " + (", ".join(changes) if changes else "no change"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the peers and speed")
    parser.add_argument("--only", choices=("english", "facegood", "speed", "render", "latency",
                                           "soak", "emotion", "multilingual", "neural", "grid",
                                           "unseen", "untuned", "cues", "languages"),
                        help="run one part only (render: the preview renderer's fps; latency / "
                        "soak: voxrig stream, see bench/latency.py)")
    parser.add_argument("--soak-seconds", type=float, default=600.0,
                        help="length of the --only soak run (default 600)")
    parser.add_argument("--clips", type=int, default=None,
                        help="--only grid: the first N validation clips only (not saved)")
    args = parser.parse_args(argv)
    if args.only == "grid":
        from .grid import main as grid_main

        return grid_main([] if args.clips is None else ["--clips", str(args.clips)])
    if args.only in ("latency", "soak"):
        from .latency import run_live

        return run_live(args.only, args.soak_seconds)
    if args.only == "cues":
        from .cues import main as cues_main

        return cues_main()
    if args.only == "emotion":
        from .emotion import main as emotion_main

        return emotion_main()
    if args.only == "multilingual":
        from .multilingual import main as multilingual_main

        return multilingual_main()
    if args.only == "languages":
        from .languages import main as languages_main

        return languages_main()
    if args.only == "untuned":
        from .untuned import main as untuned_main

        return untuned_main()
    if args.only == "unseen":
        from .unseen import main as unseen_main

        return unseen_main()
    if args.only == "neural":
        from .neural import main as neural_main

        return neural_main()
    if args.only == "render":
        from .render import main as render_main

        return render_main()
    parts = [args.only] if args.only else ["english", "facegood", "speed"]
    if args.quick:
        parts = [p for p in parts if p != "speed"]
    systems = [s for s in SYSTEMS if not (args.quick and s.peer)]

    rows: dict[str, dict] = {s.name: {} for s in systems}
    for system in systems:
        for part, wanted, run in (("english", system.english, run_english),
                                  ("facegood", system.facegood, run_facegood)):
            if part not in parts or not wanted:
                continue
            print(f"[bench] {part}: {system.name} ...", file=sys.stderr, flush=True)
            try:
                rows[system.name][part] = run(system)
            except Exception as exc:  # a failing system is reported in the table, not fatal
                rows[system.name][part] = {"error": first_line(exc)}
    if "speed" in parts:
        from .speed import run_speed

        print("[bench] speed: voxrig bake on 60 s ...", file=sys.stderr, flush=True)
        try:
            speed = {r.mode: asdict(r) for r in run_speed()}
        except Exception as exc:
            speed = {}
            for s in systems:
                if s.speed_mode:
                    rows[s.name]["speed"] = {"error": first_line(exc)}
        for s in systems:
            if s.speed_mode in speed:
                result = speed[s.speed_mode]
                if result["exit_code"] != 0:
                    result = {"error": f"exit {result['exit_code']}: {result['error']}"}
                rows[s.name]["speed"] = result

    sha = git_sha()
    path = results_path(RESULTS_DIR, sha)
    if path.exists():  # a partial run (--quick / --only) updates the day's file, not replaces it
        kept = json.loads(path.read_text()).get("rows", {})
        for name, row in rows.items():
            kept.setdefault(name, {}).update(row)
        rows_to_save = kept
    else:
        rows_to_save = rows
    payload = stamped(sha, parts=parts, quick=args.quick, rows=rows_to_save)
    print(format_table(rows))
    previous = previous_results(path)
    if previous is not None:
        old = json.loads(previous.read_text())
        print()
        print(format_diff(rows, old.get("rows", {}), previous.name))
    write_results(path, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
