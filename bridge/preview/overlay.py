"""Drawing on rendered frames: landmark dots, text labels (a built-in 5x7 pixel font, so no
imaging package is needed) and two frames side by side."""

from __future__ import annotations

import numpy as np

KEYPOINT_COLOUR = (60, 255, 120)
LABEL_COLOUR = (240, 240, 240)

# 5x7 glyphs, one string per row, '#' = ink. Lower case is drawn as upper case.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"),
    "B": ("#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "),
    "C": (" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "),
    "D": ("#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "),
    "E": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"),
    "F": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "),
    "G": (" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"),
    "H": ("#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"),
    "I": (" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "),
    "J": ("  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "),
    "K": ("#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"),
    "L": ("#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"),
    "M": ("#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"),
    "N": ("#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"),
    "O": (" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "),
    "P": ("#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "),
    "Q": (" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"),
    "R": ("#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"),
    "S": (" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "),
    "T": ("#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "),
    "U": ("#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "),
    "V": ("#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "),
    "W": ("#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "),
    "X": ("#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"),
    "Y": ("#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "),
    "Z": ("#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"),
    "0": (" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "),
    "1": ("  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "),
    "2": (" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"),
    "3": ("#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "),
    "4": ("   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "),
    "5": ("#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "),
    "6": ("  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "),
    "7": ("#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "),
    "8": (" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "),
    "9": (" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "),
    " ": ("     ",) * 7,
    ".": ("     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "),
    ",": ("     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "),
    ":": ("     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "),
    "-": ("     ", "     ", "     ", "#####", "     ", "     ", "     "),
    "_": ("     ", "     ", "     ", "     ", "     ", "     ", "#####"),
    "+": ("     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "),
    "=": ("     ", "     ", "#####", "     ", "#####", "     ", "     "),
    "/": ("    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "),
    "(": ("   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "),
    ")": (" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "),
    "%": ("##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"),
    "?": (" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "),
}
_MASKS = {ch: np.array([[c == "#" for c in row] for row in rows]) for ch, rows in
          _GLYPHS.items()}


def draw_points(image: np.ndarray, points: np.ndarray, colour: tuple[int, int, int] =
                KEYPOINT_COLOUR, radius: int = 2) -> np.ndarray:
    """Round dots at pixel positions (N, 2) (x, y), clipped to the image; in place."""
    height, width = image.shape[:2]
    offsets = [(dx, dy) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)
               if dx * dx + dy * dy <= radius * radius + radius]
    centre = np.rint(np.asarray(points, dtype=np.float64)).astype(np.int64)
    for dx, dy in offsets:
        x, y = centre[:, 0] + dx, centre[:, 1] + dy
        ok = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        image[y[ok], x[ok]] = colour
    return image


def draw_text(image: np.ndarray, text: str, x: int, y: int, scale: int = 2,
              colour: tuple[int, int, int] = LABEL_COLOUR) -> np.ndarray:
    """Text in the built-in pixel font with a dark shadow, top-left at (x, y); in place.
    Characters the font lacks are drawn as '?'."""
    for dx, dy, ink in ((1, 1, (0, 0, 0)), (0, 0, colour)):
        cx = x + dx * scale
        for ch in text.upper():
            mask = _MASKS.get(ch, _MASKS["?"])
            big = np.kron(mask, np.ones((scale, scale), dtype=bool))
            _paint(image, big, cx, y + dy * scale, ink)
            cx += 6 * scale
    return image


def text_width(text: str, scale: int = 2) -> int:
    return max(0, len(text) * 6 * scale - scale)


def side_by_side(frames: list[np.ndarray], labels: list[str] | None = None) -> np.ndarray:
    """Frames of equal height next to each other, each with its label at the top."""
    out = np.concatenate(frames, axis=1)
    if labels:
        x = 0
        for frame, label in zip(frames, labels, strict=True):
            width = frame.shape[1]
            scale = 2 if text_width(label, 2) <= width - 16 else 1
            shown = label
            while text_width(shown, scale) > width - 16 and len(shown) > 1:
                shown = shown[:-1]
            draw_text(out, shown, x + (width - text_width(shown, scale)) // 2, 10, scale)
            x += width
    return out


def _paint(image: np.ndarray, mask: np.ndarray, x: int, y: int,
           colour: tuple[int, int, int]) -> None:
    height, width = image.shape[:2]
    mh, mw = mask.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + mw, width), min(y + mh, height)
    if x0 >= x1 or y0 >= y1:
        return
    region = image[y0:y1, x0:x1]
    region[mask[y0 - y:y1 - y, x0 - x:x1 - x]] = colour
