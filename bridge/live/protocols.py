"""What goes on the wire for one animation frame, per receiving app (see docs/live.md).

- vmc: one OSC bundle per frame: `/VMC/Ext/Blend/Val s f` for each channel, then
  `/VMC/Ext/Bone/Pos s f*7` for Neck, Head, LeftEye, RightEye (position zeros, a Unity
  quaternion), then `/VMC/Ext/Blend/Apply` (VMC protocol, as VSeeFace / VNyan / Warudo /
  EVMC4U receive it).
- vrchat: `/avatar/parameters/<Name> f`, one message per datagram (VRChat's OSC input),
  then the eyes as VRCFaceTracking's `FT/v2/EyeLeftX` ... `EyeRightY` (sine of the angle)
  and `EyeLidLeft` / `EyeLidRight` (1 - blink), and the head as `voxrig/HeadPitch`,
  `HeadYaw`, `HeadRoll` (degrees / HEAD_FULL).
- generic: `/voxrig/frame i f f*52` (frame number, time, all 52 weights in ARKit order),
  `/voxrig/head f f f` (pitch, yaw, roll degrees), `/voxrig/eyes f f f f` (left yaw, left
  pitch, right yaw, right pitch degrees), then `/voxrig/blend/<name> f` per channel, one
  message per datagram.
- livelink: the Live Link Face app's UDP packet (Unreal's Live Link "LiveLinkFace" source).

OSC is built with python-osc once per stream: a frame's datagrams differ only in their
numbers, so each is kept as python-osc's bytes with the numbers' places cut out, and a frame
packs its numbers into them (python-osc per frame costs ~0.8 ms for a VMC bundle, more than a
frame's slot at --speed 20). The Live Link packet is encoded here (struct, big-endian).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from voxrig.core.channel_names import NameMap, style_names
from voxrig.core.names import ARKIT52
from voxrig.core.rotation import eye_angles, head_to_unity, unity_quaternion


@dataclass(frozen=True)
class Protocol:
    name: str
    port: int  # the receiving app's usual port
    names: str  # default name style
    about: str


PROTOCOLS: dict[str, Protocol] = {
    "vmc": Protocol("vmc", 39539, "arkit", "VMC protocol (VSeeFace, VNyan, Warudo, Unity EVMC4U)"),
    "vrchat": Protocol("vrchat", 9000, "vrcft", "VRChat avatar parameters (VRCFaceTracking names)"),
    "generic": Protocol("generic", 8000, "arkit", "plain OSC for Unreal's OSC plugin / Unity"),
    "livelink": Protocol("livelink", 11111, "arkit", "Unreal Live Link Face UDP packet"),
}

VMC_VAL = "/VMC/Ext/Blend/Val"
VMC_APPLY = "/VMC/Ext/Blend/Apply"
VMC_BONE = "/VMC/Ext/Bone/Pos"
VMC_BONES = ("Neck", "Head", "LeftEye", "RightEye")  # VRM humanoid bone names
NECK_SHARE = 0.4  # the neck turns this share of the head's rotation, the head the rest
VRCHAT_PREFIX = "/avatar/parameters/"
GENERIC_FRAME = "/voxrig/frame"
GENERIC_BLEND = "/voxrig/blend/"
GENERIC_HEAD = "/voxrig/head"  # f f f: pitch (down +), yaw (avatar's left +), roll, degrees
GENERIC_EYES = "/voxrig/eyes"  # f f f f: left yaw, left pitch, right yaw, right pitch (up +)
# VRChat: the eyes as VRCFaceTracking's eye parameters (sin of the angle; X to the avatar's
# right +, Y up +), the head as avatar parameters of voxrig's own (degrees / HEAD_FULL, the
# [-1, 1] range of a synced float)
VRCHAT_EYES = ("FT/v2/EyeLeftX", "FT/v2/EyeLeftY", "FT/v2/EyeRightX", "FT/v2/EyeRightY",
               "FT/v2/EyeLidLeft", "FT/v2/EyeLidRight")  # lids: 1 open, 0 closed
VRCHAT_HEAD = ("voxrig/HeadPitch", "voxrig/HeadYaw", "voxrig/HeadRoll")
HEAD_FULL = 45.0  # degrees of head rotation a VRChat head parameter of 1.0 stands for

# Live Link Face packet (the iOS app's format, read by Unreal's LiveLinkFace plugin):
# uint8 version 6, FString device id, FString subject name, FQualifiedFrameTime (int32 frame,
# float sub-frame, int32 rate numerator, int32 rate denominator), uint8 count 61, 61 floats.
# FString = int32 byte length + UTF-8 bytes. Every number is big-endian (network order).
# The 61 values are the 52 ARKit shapes in canonical order, then head yaw/pitch/roll and left
# and right eye yaw/pitch/roll (radians; voxrig's signs, see livelink_packet).
LIVELINK_VERSION = 6
LIVELINK_VALUES = 61


def _message(address: str, *args: tuple[object, str]) -> bytes:
    builder = OscMessageBuilder(address)
    for value, tag in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def frame_rate_fraction(fps: float) -> tuple[int, int]:
    """fps as Unreal's FFrameRate numerator / denominator (29.97 -> 30000 / 1001)."""
    ntsc = round(fps * 1.001)
    if abs(fps - round(fps)) > 1e-6 and abs(fps * 1.001 - ntsc) < 1e-3:
        return ntsc * 1000, 1001
    rate = Fraction(fps).limit_denominator(1000)
    return rate.numerator, rate.denominator


def _nbo_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">i", len(data)) + data


def livelink_packet(weights: np.ndarray, frame: int, fps: float, subject: str = "voxrig",
                    device: str = "voxrig", head: np.ndarray | None = None) -> bytes:
    """One Live Link Face packet: ARKit-52 weights (canonical order) at frame `frame`, then
    the head's yaw, pitch, roll and each eye's yaw, pitch, roll (0) in radians, with voxrig's
    signs (yaw to the avatar's left +, head pitch down +, eye pitch up +)."""
    values = np.zeros(LIVELINK_VALUES, dtype=">f4")
    values[:52] = np.asarray(weights, dtype=np.float32)[:52]
    pitch, yaw, roll = np.zeros(3) if head is None else np.asarray(head, np.float64)
    (left_yaw, left_pitch), (right_yaw, right_pitch) = eye_angles(values[:52])
    values[52:] = np.radians([yaw, pitch, roll, left_yaw, left_pitch, 0.0,
                              right_yaw, right_pitch, 0.0])
    numerator, denominator = frame_rate_fraction(fps)
    return b"".join((
        struct.pack(">B", LIVELINK_VERSION),
        _nbo_string(device),
        _nbo_string(subject),
        struct.pack(">ifii", int(frame), 0.0, numerator, denominator),
        struct.pack(">B", LIVELINK_VALUES),
        values.tobytes(),
    ))


class Encoder:
    """Datagrams for one frame in one protocol; names resolved once, values per frame."""

    def __init__(self, protocol: str, names: NameMap | None = None, fps: float = 60.0,
                 subject: str = "voxrig") -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}")
        self.protocol = protocol
        self.names = names or style_names(PROTOCOLS[protocol].names)
        self.fps = fps
        self.subject = subject
        self._sent = self.names.sent()
        self._columns = np.array([i for i, _ in self._sent], dtype=np.intp)
        self._vmc = _vmc_template(self._sent) if protocol == "vmc" else None
        prefix = VRCHAT_PREFIX if protocol == "vrchat" else GENERIC_BLEND
        self._per_channel = [_head(_message(prefix + name, (0.0, "f")), 1)
                             for _, name in self._sent]  # fmt: skip
        if protocol == "vrchat":
            self._per_channel += [_head(_message(VRCHAT_PREFIX + name, (0.0, "f")), 1)
                                  for name in VRCHAT_EYES + VRCHAT_HEAD]
        self._generic_head = _head(_message(GENERIC_HEAD, *[(0.0, "f")] * 3), 3)
        self._generic_eyes = _head(_message(GENERIC_EYES, *[(0.0, "f")] * 4), 4)
        # /voxrig/frame i f f*52: the number, the time and the weights are its last 54 words
        self._frame_head = _head(_message(GENERIC_FRAME, (0, "i"),
                                          *[(0.0, "f")] * (1 + len(ARKIT52))), 2 + len(ARKIT52))

    @property
    def messages_per_frame(self) -> int:
        """OSC messages (or packets) one frame makes, for counting what a receiver must get."""
        n = len(self._sent)
        return {"vmc": n + len(VMC_BONES) + 1, "vrchat": n + len(VRCHAT_EYES + VRCHAT_HEAD),
                "generic": n + 3, "livelink": 1}[self.protocol]

    def datagrams(self, index: int, time: float, weights: np.ndarray,
                  head: np.ndarray | None = None) -> list[bytes]:
        """One frame's datagrams; `head` is (pitch, yaw, roll) degrees (still if None)."""
        w = np.asarray(weights, dtype=np.float32)
        if self.protocol == "livelink":
            return [livelink_packet(weights, index, self.fps, self.subject, head=head)]
        values = w[self._columns].astype(">f4")
        if self._vmc is not None:
            return [self._vmc.fill(np.concatenate([values, vmc_bones(w, head)]))]
        rotation = np.zeros(3) if head is None else np.asarray(head, np.float64)
        eyes = eye_angles(w)
        if self.protocol == "vrchat":
            values = np.concatenate([values, vrchat_eyes(eyes), vrchat_lids(w),
                                     np.clip(rotation / HEAD_FULL, -1.0, 1.0)])
        out = [start + value for start, value in zip(self._per_channel, _words(values),
                                                     strict=True)]
        if self.protocol == "generic":
            out[:0] = [self._frame_head + struct.pack(">if", int(index), float(time))
                       + w.astype(">f4").tobytes(),
                       self._generic_head + rotation.astype(">f4").tobytes(),
                       self._generic_eyes + eyes.reshape(-1).astype(">f4").tobytes()]
        return out


@dataclass(frozen=True)
class _Template:
    """A datagram's bytes with a big-endian float32 at each of `slots` (byte offsets)."""

    data: bytes
    slots: np.ndarray

    def fill(self, values: np.ndarray) -> bytes:
        out = np.frombuffer(self.data, dtype=np.uint8).copy()
        out[self.slots[:, None] + np.arange(4)] = np.frombuffer(
            values.astype(">f4").tobytes(), dtype=np.uint8).reshape(-1, 4)
        return out.tobytes()


def _vmc_template(sent: list[tuple[int, str]]) -> _Template:
    """The VMC bundle python-osc builds, with each Val message's float as a slot."""
    bundle = OscBundleBuilder(IMMEDIATELY)
    for _, name in sent:
        bundle.add_content(_osc(VMC_VAL, (name, "s"), (0.0, "f")))
    for bone in VMC_BONES:
        bundle.add_content(_osc(VMC_BONE, (bone, "s"), *[(0.0, "f")] * 7))
    bundle.add_content(_osc(VMC_APPLY))
    data = bundle.build().dgram
    slots, pos = [], 16  # "#bundle\0" and the 8-byte time tag; then (int32 size, message)*
    for floats in [1] * len(sent) + [7] * len(VMC_BONES):
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4 + size
        slots += [pos - 4 * k for k in range(floats, 0, -1)]  # the message's last floats
    return _Template(data, np.array(slots, dtype=np.intp))


def vrchat_eyes(eyes: np.ndarray) -> np.ndarray:
    """VRCFaceTracking's EyeLeftX, EyeLeftY, EyeRightX, EyeRightY from eye_angles' (2, 2)
    degrees: the sine of each angle, X to the avatar's right + (voxrig's yaw is left +)."""
    (left_yaw, left_pitch), (right_yaw, right_pitch) = np.radians(eyes)
    return np.sin([-left_yaw, left_pitch, -right_yaw, right_pitch])


def vrchat_lids(weights: np.ndarray) -> np.ndarray:
    """VRCFaceTracking's EyeLidLeft, EyeLidRight: how open each eye is (1 - its blink)."""
    return 1.0 - np.asarray(weights, np.float64)[[ARKIT52.index("eyeBlinkLeft"),
                                                  ARKIT52.index("eyeBlinkRight")]]


def vmc_bones(weights: np.ndarray, head: np.ndarray | None) -> np.ndarray:
    """(len(VMC_BONES) * 7,) position (zeros) and quaternion of each bone: the head's
    rotation split between Neck and Head, each eye's from its eye-look channels."""
    x, y, z = head_to_unity(np.zeros(3) if head is None else head)
    eyes = eye_angles(weights)
    rotations = [unity_quaternion(x * NECK_SHARE, y * NECK_SHARE, z * NECK_SHARE),
                 unity_quaternion(x * (1 - NECK_SHARE), y * (1 - NECK_SHARE),
                                  z * (1 - NECK_SHARE))]
    rotations += [unity_quaternion(-pitch, -yaw, 0.0) for yaw, pitch in eyes]
    return np.concatenate([np.concatenate([np.zeros(3), q]) for q in rotations])


def _head(message: bytes, floats: int) -> bytes:
    """A message's bytes without its last `floats` 4-byte arguments."""
    return message[:-4 * floats]


def _words(values: np.ndarray) -> list[bytes]:
    data = values.astype(">f4").tobytes()
    return [data[i:i + 4] for i in range(0, len(data), 4)]


def _osc(address: str, *args: tuple[object, str]):
    builder = OscMessageBuilder(address)
    for value, tag in args:
        builder.add_arg(value, tag)
    return builder.build()
