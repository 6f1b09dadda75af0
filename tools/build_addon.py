"""Build the voxrig Blender extension zip(s): `python tools/build_addon.py [--platforms ...]`.

Stages addon/ into build/addon/voxrig, puts voxrig's own wheel and its runtime dependencies'
wheels for Blender's Python (CPython 3.11, used by Blender 4.2 - 5.0) into ./wheels (numpy is
not bundled: Blender ships it), writes the manifest's `wheels` and `platforms`, then builds
and validates one zip per platform with Blender's own extension tool (blender_ext.py, found in
the `bpy` wheel; set VOXRIG_BLENDER_EXT to point at it elsewhere). Wheels are downloaded
from PyPI at build time; nothing large is committed."""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
# Blender platform -> pip platform tags of wheels that run there.
PLATFORMS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"],
    "windows-x64": ["win_amd64"],
    # onnxruntime (the neural engine) publishes its macOS arm64 wheel for macOS 14 and later
    "macos-arm64": ["macosx_11_0_arm64", "macosx_11_0_universal2", "macosx_14_0_arm64"],
    "macos-x64": ["macosx_10_13_x86_64", "macosx_10_13_universal2"],
}
# Wheels that carry the neural engine: a platform without them cannot run voxrig's default
# engine, so the build checks them by name (onnxruntime 1.32 has cp311 wheels for linux-x64,
# windows-x64 and macos-arm64, none for macos-x64, which is then left out with a message).
REQUIRED = ("onnxruntime",)
NOT_BUNDLED = {"numpy"}  # Blender ships its own numpy


def _project(wheel: Path) -> str:
    return wheel.name.split("-")[0].lower().replace("_", "-")


def blender_ext() -> Path:
    if os.environ.get("VOXRIG_BLENDER_EXT"):
        return Path(os.environ["VOXRIG_BLENDER_EXT"])
    pattern = "lib/python3.*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"
    for venv in (ROOT / ".venv-blender", Path(sys.prefix)):
        found = sorted(glob.glob(str(venv / pattern)))
        if found:
            return Path(found[-1])
    sys.exit("build_addon: blender_ext.py not found; create .venv-blender with bpy "
             "(see docs/blender.md) or set VOXRIG_BLENDER_EXT")


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True)


def stage(out: Path) -> Path:
    source = out / "voxrig"
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(ADDON, source, ignore=shutil.ignore_patterns("__pycache__", "wheels",
                                                                 "*.zip"))
    return source


def fetch_wheels(wheels: Path, platforms: list[str]) -> list[str]:
    """voxrig's wheel and every runtime dependency (resolved here, on CPython 3.11), then each
    platform-specific one again for every target platform; pure-Python packages published
    only as sources are built into wheels. Returns the platforms every wheel exists for (a
    platform missing one is left out, with a message)."""
    if sys.version_info[:2] != (3, 11):
        sys.exit("build_addon: run with Python 3.11 (Blender's Python) to resolve the wheels")
    wheels.mkdir(parents=True, exist_ok=True)
    resolved = wheels.parent / "resolved"
    shutil.rmtree(resolved, ignore_errors=True)
    run(sys.executable, "-m", "pip", "wheel", "-q", "-w", resolved, ROOT)
    supported = list(platforms)
    for wheel in sorted(resolved.glob("*.whl")):
        if _project(wheel) in NOT_BUNDLED:
            continue
        if wheel.name.endswith("-none-any.whl"):
            shutil.copy2(wheel, wheels / wheel.name)
            continue
        pin = f"{_project(wheel)}=={wheel.name.split('-')[1]}"
        for platform in list(supported):
            tags = [arg for tag in PLATFORMS[platform] for arg in ("--platform", tag)]
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
                 "--no-deps", "--python-version", "3.11", "--implementation", "cp", *tags,
                 "-d", str(wheels), pin], capture_output=True, text=True)
            if done.returncode != 0:
                print(f"build_addon: no {pin} wheel for {platform}; {platform} left out",
                      file=sys.stderr)
                supported.remove(platform)
    shutil.rmtree(resolved)
    for platform in list(supported):
        missing = [name for name in REQUIRED if not _has_wheel(wheels, name, platform)]
        if missing:
            print(f"build_addon: no {', '.join(missing)} wheel for {platform}; {platform} "
                  "left out", file=sys.stderr)
            supported.remove(platform)
    if not supported:
        sys.exit("build_addon: no platform has every wheel voxrig needs")
    return supported


def _has_wheel(wheels: Path, project: str, platform: str) -> bool:
    return any(_project(w) == project and any(tag in w.name for tag in PLATFORMS[platform])
               for w in wheels.glob("*.whl"))


def write_manifest(source: Path, platforms: list[str]) -> None:
    manifest = source / "blender_manifest.toml"
    wheels = sorted(p.name for p in (source / "wheels").glob("*.whl"))
    listed = ",\n".join(f'  "./wheels/{name}"' for name in wheels)
    text = manifest.read_text()
    text = re.sub(r"(?m)^wheels = \[.*?\]$", f"wheels = [\n{listed},\n]", text, flags=re.S)
    quoted = ", ".join(f'"{p}"' for p in platforms)
    text = text.replace("\nlicense", f"\nplatforms = [{quoted}]\n\nlicense", 1)
    manifest.write_text(text)


def build(out: Path, platforms: list[str]) -> list[Path]:
    """Build and validate; returns the zip files."""
    source = stage(out)
    platforms = fetch_wheels(source / "wheels", platforms)
    write_manifest(source, platforms)
    tool = blender_ext()
    for old in out.glob("voxrig-*.zip"):
        old.unlink()
    split = ["--split-platforms"] if len(platforms) > 1 else []
    run(sys.executable, tool, "build", "--source-dir", source, "--output-dir", out, *split)
    zips = sorted(out.glob("voxrig-*.zip"))
    for package in zips:
        run(sys.executable, tool, "validate", package)
    return zips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", nargs="+", default=["linux-x64"],
                        choices=[*PLATFORMS, "all"], help="Blender platforms (default linux-x64)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "addon")
    args = parser.parse_args(argv)
    platforms = list(PLATFORMS) if "all" in args.platforms else args.platforms
    for package in build(args.out, platforms):
        print(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
