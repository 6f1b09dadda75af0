"""Where every bench part keeps its results: one JSON file per day and commit in its own
folder of bench/, stamped with the date and the commit, compared with the newest committed
file of the same folder."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
MAIN_RESULTS = BENCH / "results"  # `python -m bench`'s own table


def git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=BENCH).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


def results_path(folder: Path, sha: str) -> Path:
    """Today's results file for this commit in `folder`."""
    return folder / f"{dt.date.today().isoformat()}-{sha}.json"


def stamped(sha: str, **fields: object) -> dict:
    """A results payload: the date and commit first, then `fields` in their order."""
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "git_sha": sha,
            **fields}


def previous_results(exclude: Path, folder: Path = MAIN_RESULTS) -> Path | None:
    """The most recently committed results file in `folder` (a folder of bench/) other than
    `exclude`."""
    try:
        listed = subprocess.run(
            ["git", "log", "--format=", "--name-only", "--diff-filter=AM", "--", folder.name],
            capture_output=True, text=True, check=True, cwd=BENCH,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    for name in listed:  # newest commit first
        path = REPO / name
        if path.suffix == ".json" and path.exists() and path.resolve() != exclude.resolve():
            return path
    return None


def write_results(path: Path, payload: dict, ensure_ascii: bool = True) -> None:
    """Write the payload (its folder made if needed) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, allow_nan=True, ensure_ascii=ensure_ascii)
                    + "\n")
    print(f"\nwrote {path.relative_to(REPO)}")


def publish(payload: dict, folder: Path, report: Callable[[dict], str],
            diff: Callable[[dict, dict, str], str]) -> None:
    """Print the payload's report, its change from the folder's newest committed results
    file, and write it as today's file for its commit."""
    print(report(payload))
    path = results_path(folder, payload["git_sha"])
    previous = previous_results(path, folder)
    if previous is not None:
        print()
        print(diff(payload, json.loads(previous.read_text()), previous.name))
    write_results(path, payload)
