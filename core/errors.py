"""User-facing errors: each carries one clear line that the CLI prints without a traceback."""


class VoxrigError(Exception):
    """A problem with the user's input or environment, described in one line."""


class AudioError(VoxrigError):
    """The audio cannot be used (missing, corrupt, empty, silent, non-finite, ...)."""


class ClipFormatError(VoxrigError):
    """A clip file or object does not follow the voxrig.clip format."""


class TranscriptError(VoxrigError):
    """The transcript cannot be used (unreadable file, no words left after normalising)."""


def shown(value: object, limit: int = 60) -> str:
    """repr() of a value from the user's file, cut so the message stays one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
