"""A CPU renderer for the ICT head: a vectorised numpy z-buffer rasteriser with Gouraud-shaded
Lambert/Blinn lighting (a key and a fill light) and per-material colours.

Speed comes from doing once what does not change per frame: the triangle list, the camera, and
a full render of every triangle no shape in the clip can move (depth and colour). Each frame
then poses only the moving vertices and rasterises only the triangles around them on top of a
copy of that static image, depth-tested against it, so the teeth, tongue and mouth socket show
correctly through the opening lips."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from voxrig.core.rig import Rig, load_rig

# Linear-ish RGB albedo in [0, 1] per ICT material; materials absent here are not drawn.
MATERIAL_COLOURS: dict[str, tuple[float, float, float]] = {
    "M_Face": (0.80, 0.60, 0.50),
    "M_BackHead": (0.74, 0.55, 0.46),
    "M_GumsTongue": (0.70, 0.32, 0.34),
    "M_Teeth": (0.93, 0.91, 0.84),
    "M_ScleraLeft": (0.92, 0.90, 0.87),
    "M_ScleraRight": (0.92, 0.90, 0.87),
}
# The ICT tear film, eye-blend and occlusion shells are transparent overlays, the lashes are
# alpha-textured cards (solid, they look like thick eyeliner), and the iris
# spheres sit inside the sclera (ICT paints the iris in a texture): none is drawn; the iris
# and pupil are painted onto the sclera instead.
IRIS_COLOUR = (0.30, 0.21, 0.13)
PUPIL_COLOUR = (0.03, 0.03, 0.03)
IRIS_HALF_ANGLE = math.radians(30.0)
PUPIL_HALF_ANGLE = math.radians(13.0)
TONGUE_COLOUR = (0.78, 0.38, 0.40)
LIP_COLOUR = (0.72, 0.42, 0.40)
SHININESS = {"M_Teeth": (0.35, 40.0), "M_ScleraLeft": (0.5, 60.0), "M_ScleraRight": (0.5, 60.0),
             "M_IrisLeft": (0.6, 80.0), "M_IrisRight": (0.6, 80.0), "M_GumsTongue": (0.25, 30.0)}
SKIN_SHINE = (0.12, 16.0)
KEY_LIGHT = (np.array([-0.45, 0.55, 0.70]), 0.85)  # direction to the light (camera space), power
FILL_LIGHT = (np.array([0.70, 0.05, 0.55]), 0.30)
AMBIENT = 0.22
BACKGROUND_TOP = (0.23, 0.25, 0.29)
BACKGROUND_BOTTOM = (0.11, 0.12, 0.14)
MOVE_EPS_CM = 0.05  # a vertex that moves less than this (0.7 px) over the clip stays still
_BOX_SIZES = np.array([2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512,
                       768, 1024, 2048, 4096])
_DEPTH_BITS = 24
_NO_HIT = np.iinfo(np.int64).max


@dataclass(frozen=True)
class View:
    """A perspective camera looking at the face from the front three-quarter."""

    size: int = 512
    yaw_deg: float = 24.0  # head turned towards the viewer's right
    pitch_deg: float = 4.0  # seen a little from above
    distance_cm: float = 110.0
    half_height_cm: float = 15.0  # visible half-height at the head's centre
    centre_cm: tuple[float, float, float] = (0.0, -1.5, 3.0)  # model point at the image centre

    def rotation(self) -> np.ndarray:
        yaw, pitch = math.radians(self.yaw_deg), math.radians(self.pitch_deg)
        turn = np.array([[math.cos(yaw), 0.0, math.sin(yaw)], [0.0, 1.0, 0.0],
                         [-math.sin(yaw), 0.0, math.cos(yaw)]])
        tilt = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(pitch), -math.sin(pitch)],
                         [0.0, math.sin(pitch), math.cos(pitch)]])
        return (tilt @ turn).astype(np.float32)

    @property
    def focal_px(self) -> float:
        return (self.size / 2.0) * self.distance_cm / self.half_height_cm


def project(view: View, points: np.ndarray) -> np.ndarray:
    """Model points (N, 3) in cm -> (N, 3): pixel x, pixel y (down) and distance from the
    camera in cm."""
    cam = (np.asarray(points, dtype=np.float32) - np.asarray(view.centre_cm, np.float32)) \
        @ view.rotation().T
    depth = view.distance_cm - cam[:, 2]
    scale = view.focal_px / depth
    half = view.size / 2.0
    return np.stack([half + cam[:, 0] * scale, half - cam[:, 1] * scale, depth], axis=1)


@dataclass
class _Fragments:
    pixel: np.ndarray  # (K,) flat pixel index
    tri: np.ndarray  # (K,) triangle index into the rasterised subset
    key: np.ndarray  # (K,) int64: quantised depth << 32 | fragment index (min = nearest)
    coefficients: np.ndarray  # (2, n, 3) barycentric planes of the front triangles
    local: np.ndarray  # (K,) index into those front triangles
    lo_x: np.ndarray  # (n,) their boxes' corners
    lo_y: np.ndarray

    def barycentrics(self, which: np.ndarray, size: int) -> np.ndarray:
        """(k, 3) barycentrics of fragments `which` (only the visible ones need them)."""
        local = self.local[which]
        v, u = np.divmod(self.pixel[which], size)
        u = (u - self.lo_x[local]).astype(np.float32) + 0.5
        v = (v - self.lo_y[local]).astype(np.float32) + 0.5
        c0 = np.take(self.coefficients[0], local, axis=0)  # take: much faster than [local]
        c1 = np.take(self.coefficients[1], local, axis=0)
        b0 = c0[:, 0] * u + c0[:, 1] * v + c0[:, 2]
        b1 = c1[:, 0] * u + c1[:, 1] * v + c1[:, 2]
        return np.stack([b0, b1, 1.0 - b0 - b1], axis=1)


class HeadRenderer:
    """Renders frames of ARKit-52 weights. `moving` (T, 52) are all the weights this renderer
    will be asked to draw (e.g. a clip's), so the parts they never move are drawn once."""

    def __init__(self, moving: np.ndarray | None = None, view: View | None = None,
                 rig: Rig | None = None) -> None:
        self.view = view or View()
        self.rig = rig or load_rig()
        rig = self.rig
        size = self.view.size
        self._rotation = self.view.rotation()
        names = rig.material_names
        drawn = np.array([n in MATERIAL_COLOURS for n in names])
        quads = rig.faces[drawn[rig.face_material]]
        quad_material = rig.face_material[drawn[rig.face_material]]
        is_quad = quads[:, 2] != quads[:, 3]
        tris = np.concatenate([quads[:, :3], quads[is_quad][:, [0, 2, 3]]])
        self.tri_material = np.concatenate([quad_material, quad_material[is_quad]])
        self.tris = tris.astype(np.int64)
        self._albedo, occlusion = _albedo(rig)
        spec = np.array([SHININESS.get(n, SKIN_SHINE) for n in names], dtype=np.float32)
        self._spec = np.tile(np.array(SKIN_SHINE, dtype=np.float32), (len(rig.neutral), 1))
        self._spec[self.tris.ravel()] = np.repeat(spec[self.tri_material], 3, axis=0)
        self._spec[:, 0] *= occlusion ** 2  # no highlights deep in the mouth
        self._quads = rig.faces.astype(np.int64)

        # Which shapes and vertices ever move for the given weights.
        if moving is None:
            moving = np.ones((1, 52), dtype=np.float32)
        ict = rig.ict_weights(np.asarray(moving, dtype=np.float32).reshape(-1, 52))
        peak = np.abs(ict).max(axis=0)
        self._shapes = np.flatnonzero(peak > 1e-6)
        # An upper bound of each vertex's displacement over all frames.
        reach = np.einsum("s,sn->n", peak[self._shapes],
                          np.linalg.norm(rig.deltas[self._shapes], axis=2))
        keep = reach > MOVE_EPS_CM
        self._move_rows = np.flatnonzero(keep)
        self._move_vertices = rig.vertex_index[keep].astype(np.int64)
        self._move_deltas = np.ascontiguousarray(
            rig.deltas[np.ix_(self._shapes, self._move_rows)].reshape(len(self._shapes),
                                                                    3 * len(self._move_rows)))

        # Triangles whose shading or position can change: any corner within one ring of a
        # moving vertex (its normal depends on the moving faces around it).
        v_count = len(rig.neutral)
        moving_mask = np.zeros(v_count, dtype=bool)
        moving_mask[self._move_vertices] = True
        touched = moving_mask[self._quads].any(axis=1)
        ring = np.zeros(v_count, dtype=bool)
        ring[self._quads[touched].ravel()] = True
        self._dynamic = np.flatnonzero(ring[self.tris].any(axis=1))
        static = np.setdiff1d(np.arange(len(self.tris)), self._dynamic)
        # Normals of the ring vertices need every quad around them.
        self._normal_quads = np.flatnonzero(ring[self._quads].any(axis=1))
        self._ring_vertices = np.flatnonzero(ring)

        neutral = rig.neutral
        self._neutral_screen = project(self.view, neutral)
        self._neutral_lit = self._light(
            _vertex_normals(neutral, self._quads, np.arange(len(self._quads))),
            np.arange(len(neutral)))
        self._background = _background(size)
        self._last: tuple[np.ndarray, np.ndarray] | None = None
        self._static_key, self._static_rgb = self._draw(
            static, self._neutral_screen, self._neutral_lit,
            np.full(size * size, _NO_HIT, dtype=np.int64), self._background.copy())

    # -- per frame -----------------------------------------------------------------------

    def pose(self, arkit_weights: np.ndarray) -> np.ndarray:
        """All (V, 3) vertex positions for one frame of ARKit-52 weights (only moving ones
        computed)."""
        vertices = self.rig.neutral.copy()
        if len(self._shapes):
            ict = self.rig.ict_weights(arkit_weights)[self._shapes]
            offset = (ict @ self._move_deltas).reshape(-1, 3)
            vertices[self._move_vertices] += offset
        return vertices

    def render(self, arkit_weights: np.ndarray) -> np.ndarray:
        """One frame (size, size, 3) uint8 for ARKit-52 weights (52,)."""
        arkit_weights = np.asarray(arkit_weights, dtype=np.float32)
        last = self._last
        if last is not None and np.array_equal(last[0], arkit_weights):
            return last[1].copy()  # a held pose (pauses, silence) is drawn once
        image = self._render(arkit_weights)
        self._last = (arkit_weights.copy(), image.copy())
        return image

    def _render(self, arkit_weights: np.ndarray) -> np.ndarray:
        vertices = self.pose(arkit_weights)
        screen = self._neutral_screen.copy()
        screen[self._move_vertices] = project(self.view, vertices[self._move_vertices])
        lit = self._neutral_lit.copy()
        ring = self._ring_vertices
        lit[ring] = self._light(_vertex_normals(vertices, self._quads, self._normal_quads)[ring],
                                ring)
        _, packed = self._draw(self._dynamic, screen, lit, self._static_key.copy(),
                               self._static_rgb.copy())
        size = self.view.size
        return np.ascontiguousarray(packed.view(np.uint8).reshape(size, size, 4)[..., :3])

    def screen_points(self, arkit_weights: np.ndarray, vertex_ids: np.ndarray) -> np.ndarray:
        """Pixel positions (N, 2) of some vertices for one frame (e.g. the 68 landmarks)."""
        return project(self.view, self.pose(arkit_weights)[vertex_ids])[:, :2]

    # -- rasterising -----------------------------------------------------------------------

    def _draw(self, subset: np.ndarray, screen: np.ndarray, lit: np.ndarray,
              key_buffer: np.ndarray, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rasterise triangles `subset` into the depth keys and colours (flat, updated in
        place and returned)."""
        size = self.view.size
        frags = _rasterise(np.take(screen, self.tris[subset], axis=0), size)
        if frags is None:
            return key_buffer, rgb
        # Nearer than what is already there (static part), then nearest among themselves.
        frags_depth = frags.key >> 32
        front = frags_depth < (key_buffer[frags.pixel] >> 32)
        pixel, key = frags.pixel[front], frags.key[front]
        np.minimum.at(key_buffer, pixel, key)
        won = key_buffer[pixel] == key
        winner = np.flatnonzero(front)[won]
        pixel = frags.pixel[winner]
        bary = frags.barycentrics(winner, size)
        ids = self.tris[subset[frags.tri[winner]]]
        # Gouraud: lit vertex colours interpolated.
        colour = (np.take(lit, ids[:, 0], axis=0) * bary[:, 0:1]
                  + np.take(lit, ids[:, 1], axis=0) * bary[:, 1:2]
                  + np.take(lit, ids[:, 2], axis=0) * bary[:, 2:3])
        rgb[pixel] = _pack(np.clip(colour * 255.0 + 0.5, 0, 255).astype(np.uint32))
        return key_buffer, rgb

    def _light(self, normals: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Lit colour (n, 3) of vertices `ids` with model-space normals: Lambert + Blinn from a
        key and a fill light fixed to the camera, plus ambient."""
        n = normals @ self._rotation.T
        spec = self._spec[ids]
        light = np.full(len(n), AMBIENT, dtype=np.float32)
        shine = np.zeros(len(n), dtype=np.float32)
        view_dir = np.array([0.0, 0.0, 1.0], dtype=np.float32)
        for direction, power in (KEY_LIGHT, FILL_LIGHT):
            d = (direction / np.linalg.norm(direction)).astype(np.float32)
            light += power * np.clip(n @ d, 0.0, None)
            half = d + view_dir
            half /= np.linalg.norm(half)
            shine += power * np.clip(n @ half, 0.0, None) ** spec[:, 1]
        return (self._albedo[ids] * light[:, None] + (spec[:, 0] * shine)[:, None]) \
            .astype(np.float32)


def _signed_area(corners: np.ndarray) -> np.ndarray:
    """Twice the signed screen area; negative for counter-clockwise (front) faces, since the
    screen's y points down."""
    x, y = corners[..., 0], corners[..., 1]
    return (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])


def _rasterise(corners: np.ndarray, size: int) -> _Fragments | None:
    """All pixel centres inside each front-facing triangle, with barycentrics and a depth key.
    Triangles are grouped by bounding-box size so each group is one broadcast over a small
    pixel grid; edge functions are taken relative to each box's corner so float32 is exact
    enough."""
    corners = corners.astype(np.float64)
    x, y = corners[..., 0], corners[..., 1]
    area = _signed_area(corners)
    lo_x = np.maximum(np.ceil(_min3(x) - 0.5), 0)
    hi_x = np.minimum(np.floor(_max3(x) - 0.5), size - 1)
    lo_y = np.maximum(np.ceil(_min3(y) - 0.5), 0)
    hi_y = np.minimum(np.floor(_max3(y) - 0.5), size - 1)
    w, h = hi_x - lo_x + 1, hi_y - lo_y + 1
    tri = np.flatnonzero((w > 0) & (h > 0) & (area < -1e-9))  # front faces (counter-clockwise)
    if len(tri) == 0:
        return None
    inv = 1.0 / area[tri]
    # b_i = A_i * u + B_i * v + C_i at pixel centre (lo_x + u, lo_y + v), i = 0, 1; the depth
    # is affine in (u, v) too: z = z2 + b0 (z0 - z2) + b1 (z1 - z2).
    xs = x[tri] - lo_x[tri][:, None]
    ys = y[tri] - lo_y[tri][:, None]
    coefficients = np.empty((3, len(tri), 3), dtype=np.float64)
    coefficients[0] = np.stack([ys[:, 1] - ys[:, 2], xs[:, 2] - xs[:, 1],
                                xs[:, 1] * ys[:, 2] - xs[:, 2] * ys[:, 1]], axis=1)
    coefficients[1] = np.stack([ys[:, 2] - ys[:, 0], xs[:, 0] - xs[:, 2],
                                xs[:, 2] * ys[:, 0] - xs[:, 0] * ys[:, 2]], axis=1)
    coefficients[:2] *= inv[None, :, None]
    zs = corners[tri, :, 2]
    coefficients[2] = (coefficients[0] * (zs[:, 0:1] - zs[:, 2:3])
                       + coefficients[1] * (zs[:, 1:2] - zs[:, 2:3]))
    coefficients[2, :, 2] += zs[:, 2]
    coefficients = coefficients.astype(np.float32)
    origin = (lo_y[tri] * size + lo_x[tri]).astype(np.int64)
    sizes_w = np.searchsorted(_BOX_SIZES, w[tri])
    sizes_h = np.searchsorted(_BOX_SIZES, h[tri])
    box_w, box_h = _BOX_SIZES[sizes_w], _BOX_SIZES[sizes_h]
    crosses_edge = (lo_x[tri] + box_w > size) | (lo_y[tri] + box_h > size)
    group = sizes_w * len(_BOX_SIZES) + sizes_h
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    pixels, tris, depths = [], [], []
    for members in np.split(order, bounds):
        gw, gh = int(box_w[members[0]]), int(box_h[members[0]])
        n = len(members)
        # b0, b1 and depth over the group's pixel grid in one BLAS call.
        values = coefficients[:, members].reshape(3 * n, 3) @ _grid(gw, gh)
        b0, b1 = values[:n], values[n:2 * n]
        inside = (np.minimum(b0, b1) >= -1e-5) & (b0 + b1 <= 1.0 + 1e-5)
        flat = np.flatnonzero(inside)
        if len(flat) == 0:
            continue
        rows, cols = np.divmod(flat, gw * gh)
        dv, du = np.divmod(cols, gw)
        member = members[rows]
        if crosses_edge[members].any():
            keep = (lo_x[tri[member]] + du < size) & (lo_y[tri[member]] + dv < size)
            flat, member, du, dv = flat[keep], member[keep], du[keep], dv[keep]
        pixels.append(origin[member] + dv * size + du)
        tris.append(member)
        depths.append(values[2 * n:].ravel()[flat])
    if not pixels:
        return None
    pixel = np.concatenate(pixels)
    local = np.concatenate(tris)
    depth = np.concatenate(depths)
    quant = np.clip((depth - 1.0) * (1 << 16), 0, (1 << _DEPTH_BITS) - 1).astype(np.int64)
    key = (quant << 32) | np.arange(len(pixel), dtype=np.int64)
    return _Fragments(pixel=pixel, tri=tri[local], key=key, coefficients=coefficients[:2],
                      local=local, lo_x=lo_x[tri].astype(np.int64),
                      lo_y=lo_y[tri].astype(np.int64))


@cache
def _grid(width: int, height: int) -> np.ndarray:
    """(3, width * height): u, v of the pixel centres of a box, and ones."""
    u = np.tile(np.arange(width, dtype=np.float32) + 0.5, height)
    v = np.repeat(np.arange(height, dtype=np.float32) + 0.5, width)
    return np.stack([u, v, np.ones_like(u)])


def _min3(a: np.ndarray) -> np.ndarray:
    return np.minimum(np.minimum(a[:, 0], a[:, 1]), a[:, 2])  # much faster than min(axis=1)


def _max3(a: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(a[:, 0], a[:, 1]), a[:, 2])


def _vertex_normals(vertices: np.ndarray, quads: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (V, 3) from quads `which` (others contribute nothing)."""
    q = quads[which]
    p = np.take(vertices, q, axis=0)  # (n, 4, 3)
    # A quad's normal from its diagonals (a triangle repeats its last corner: still right).
    face = np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 1])
    tri = q[:, 2] == q[:, 3]
    face[tri] = np.cross(p[tri, 1] - p[tri, 0], p[tri, 2] - p[tri, 0])
    count = len(vertices)
    ids = q.ravel()
    out = np.empty((count, 3), dtype=np.float32)
    for axis in range(3):
        out[:, axis] = np.bincount(ids, weights=np.repeat(face[:, axis], 4), minlength=count)
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norm, 1e-12)


def _albedo(rig: Rig) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex colour (V, 3) and occlusion (V,): material colours, a pinker tongue and
    lips, and darker surfaces deep inside the mouth (a cheap stand-in for ambient
    occlusion)."""
    v = rig.neutral
    colour = np.zeros((len(v), 3), dtype=np.float32)
    for index, name in enumerate(rig.material_names):
        if name in MATERIAL_COLOURS:
            ids = np.unique(rig.faces[rig.face_material == index])
            colour[ids] = MATERIAL_COLOURS[name]
    gums = np.unique(rig.faces[rig.face_material == rig.material_names.index("M_GumsTongue")])
    teeth = np.unique(rig.faces[rig.face_material == rig.material_names.index("M_Teeth")])
    face = np.unique(rig.faces[rig.face_material == rig.material_names.index("M_Face")])
    lm = rig.neutral[rig.landmarks68]
    mouth_x = 0.5 * abs(lm[48, 0] - lm[54, 0])
    mouth_y = 0.5 * (lm[62, 1] + lm[66, 1])
    lip_z = float(lm[48:68, 2].min())
    # Tongue: the middle of the lower gums/tongue piece.
    g = v[gums]
    tongue = gums[(np.abs(g[:, 0]) < 2.2) & (g[:, 1] < mouth_y - 1.2)]
    colour[tongue] = TONGUE_COLOUR
    # Lips: face vertices around the mouth, fading out.
    f = v[face]
    dx = np.abs(f[:, 0]) / (mouth_x + 0.4)
    dy = np.abs(f[:, 1] - mouth_y) / 1.6
    lip = np.clip(1.6 - np.hypot(dx, dy) * 1.6, 0.0, 1.0) * (f[:, 2] > lip_z - 0.6)
    colour[face] = colour[face] * (1 - lip[:, None]) + np.array(LIP_COLOUR) * lip[:, None]
    # Iris and pupil painted on each eyeball, around its forward (+z) axis.
    for side in ("M_ScleraLeft", "M_ScleraRight"):
        ids = np.unique(rig.faces[rig.face_material == rig.material_names.index(side)])
        p = v[ids] - v[ids].mean(axis=0)
        angle = np.arccos(np.clip(p[:, 2] / np.linalg.norm(p, axis=1), -1.0, 1.0))
        colour[ids[angle < IRIS_HALF_ANGLE]] = IRIS_COLOUR
        colour[ids[angle < PUPIL_HALF_ANGLE]] = PUPIL_COLOUR
    # Deep inside the mouth is darker. The mouth bag's surfaces face into the cavity, not
    # away from the head's centre as the cheeks do.
    normals = _vertex_normals(v, rig.faces.astype(np.int64), np.arange(len(rig.faces)))
    outward = f - np.array([0.0, mouth_y, 0.0], dtype=np.float32)
    outward /= np.linalg.norm(outward, axis=1, keepdims=True)
    facing = np.einsum("kc,kc->k", normals[face], outward)
    bag = (np.abs(f[:, 0]) < mouth_x + 0.5) & (np.abs(f[:, 1] - mouth_y) < 3.0) \
        & (f[:, 2] < lip_z) & (facing < 0.35)
    back = np.unique(rig.faces[rig.face_material == rig.material_names.index("M_BackHead")])
    b = v[back]
    throat = back[(np.abs(b[:, 0]) < mouth_x + 1.5) & (np.abs(b[:, 1] - mouth_y) < 4.5)
                  & (b[:, 2] > -2.0)]
    inner = np.concatenate([gums, teeth, face[bag], throat])
    front_teeth = float(v[teeth, 2].max())
    depth = np.clip(np.maximum(front_teeth, lip_z) - v[inner, 2], 0.0, None)
    shade = 0.15 + 0.85 * np.exp(-depth / 1.5)
    occlusion = np.ones(len(v), dtype=np.float32)
    occlusion[inner] = shade
    return colour * occlusion[:, None], occlusion


def _background(size: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None]
    row = np.array(BACKGROUND_TOP) * (1 - t) + np.array(BACKGROUND_BOTTOM) * t
    packed = _pack((row * 255.0 + 0.5).astype(np.uint32))
    return np.repeat(packed, size)


def _pack(rgb: np.ndarray) -> np.ndarray:
    """(k, 3) integers 0..255 -> (k,) uint32 whose little-endian bytes are r, g, b, 0: the
    frame buffer is one uint32 per pixel, so writing fragments is a 1-D scatter."""
    rgb = rgb.astype(np.uint32)
    packed = rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16)
    return packed if np.little_endian else packed.byteswap()
