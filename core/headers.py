"""How many frames a PCM container's own header promises (WAV/RF64, W64, AIFF/AIFC, CAF, AU).

libsndfile quietly shortens a data chunk that runs past the end of the file to what is there,
so its frame count cannot tell a WAV cut in half from a whole one; the header's data size can.
Only what is needed for that is read: a few chunk headers, never the samples.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_CHUNKS = 64  # chunk headers looked at before giving up (a header is never this long)
_PCM_TAGS = {1, 3, 6, 7}  # WAVE_FORMAT_PCM, IEEE_FLOAT, ALAW, MULAW: frames = bytes / align
_EXTENSIBLE = 0xFFFE  # its sub-format's first two bytes are one of the tags above
_W64_RIFF = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_AU_BYTES = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}  # encoding: bytes a sample
_UNKNOWN_SIZES = {0, 0xFFFFFFFF}  # what writers that never finished leave in a size field


def promised_frames(path: str | Path) -> int | None:
    """Frames the header says the data holds, or None (another format, a compressed
    encoding, or a size left open by a streaming writer)."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(24)
            fh.seek(0)
            if magic[:4] in (b"RIFF", b"RF64") and magic[8:12] == b"WAVE":
                return _wav(fh, rf64=magic[:4] == b"RF64")
            if magic[:4] == b"FORM" and magic[8:12] in (b"AIFF", b"AIFC"):
                return _aiff(fh)
            if magic[:16] == _W64_RIFF:
                return _w64(fh)
            if magic[:4] == b"caff":
                return _caf(fh)
            if magic[:4] == b".snd":
                return _au(magic)
    except (OSError, struct.error, ZeroDivisionError):
        return None
    return None


@dataclass(frozen=True)
class _Layout:
    """How a container lays out its chunk headers."""

    head: int  # bytes of a chunk header (id first)
    size: str  # struct format of its size field ...
    size_at: int  # ... at this offset in the header
    counts_head: bool  # the size includes the header itself (W64)
    align: int  # chunks start on multiples of this


_RIFF = _Layout(8, "<I", 4, False, 2)
_IFF = _Layout(8, ">I", 4, False, 2)
_W64 = _Layout(24, "<Q", 16, True, 8)
_CAF = _Layout(12, ">q", 4, False, 1)


def _chunks(fh: BinaryIO, at: int, layout: _Layout) -> Iterator[tuple[bytes, int, int]]:
    """(id, size field, offset of the body) of each chunk from `at`; the file is positioned
    at the body when each is handed out. A negative body size (CAF's "until the end") ends
    the walk after that chunk."""
    for _ in range(MAX_CHUNKS):
        fh.seek(at)
        head = fh.read(layout.head)
        if len(head) < layout.head:
            return
        size = struct.unpack_from(layout.size, head, layout.size_at)[0]
        body = size - layout.head if layout.counts_head else size
        yield head[:4], size, at + layout.head
        if body < 0:
            return
        at += layout.head + body + (-body % layout.align)
        fh.seek(at)


def _wav(fh: BinaryIO, rf64: bool) -> int | None:
    align = data = None
    for kind, size, body_at in _chunks(fh, 12, _RIFF):
        if kind == b"ds64":  # RF64: the real sizes; the data chunk's own says 0xFFFFFFFF
            data = struct.unpack("<QQ", fh.read(16))[1]
        elif kind == b"fmt ":
            tag, _, _, _, block = struct.unpack("<HHIIH", fh.read(14))
            if tag == _EXTENSIBLE:
                fh.seek(body_at + 24)
                tag = struct.unpack("<H", fh.read(2))[0]
            if tag not in _PCM_TAGS:
                return None
            align = block
        elif kind == b"data":
            if not rf64:
                data = None if size in _UNKNOWN_SIZES else size
            break
    return data // align if data and align else None


def _aiff(fh: BinaryIO) -> int | None:
    for kind, _, _ in _chunks(fh, 12, _IFF):
        if kind == b"COMM":
            return struct.unpack(">hI", fh.read(6))[1] or None
    return None


def _w64(fh: BinaryIO) -> int | None:
    align = None
    for kind, size, _ in _chunks(fh, 40, _W64):  # after the riff GUID, size and wave GUID
        if kind == b"fmt ":
            tag, _, _, _, align = struct.unpack("<HHIIH", fh.read(14))
            if tag not in _PCM_TAGS and tag != _EXTENSIBLE:
                return None
        elif kind == b"data":
            return (size - _W64.head) // align if align else None
    return None


def _caf(fh: BinaryIO) -> int | None:
    per_packet = frames_per_packet = 0
    for kind, size, _ in _chunks(fh, 8, _CAF):
        if kind == b"desc":
            _, _, _, per_packet, frames_per_packet = struct.unpack(">d4sIII", fh.read(24))
        elif kind == b"data":  # -1: "until the end of the file"; 4 bytes are an edit count
            if size < 4 or not per_packet:
                return None
            return (size - 4) // per_packet * frames_per_packet
    return None


def _au(head: bytes) -> int | None:
    """Sun/NeXT AU: magic, data offset, data size, encoding, rate, channels (big-endian)."""
    _, _, size, encoding, _, channels = struct.unpack(">4sIIIII", head)
    width = _AU_BYTES.get(encoding)
    if size in _UNKNOWN_SIZES or not width or not channels:
        return None
    return size // (width * channels)
