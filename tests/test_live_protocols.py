"""What goes on the wire per protocol, decoded independently: OSC with python-osc's parser,
the Live Link Face packet with a decoder written here from the published layout (Unreal's
AppleARKitLiveLinkSource / LiveLinkFace: version byte, FString device id, FString subject,
FQualifiedFrameTime, uint8 count, big-endian floats; FString = int32 length + bytes)."""

import struct

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from voxrig.bridge.live.protocols import (
    NECK_SHARE,
    PROTOCOLS,
    VRCHAT_EYES,
    VRCHAT_HEAD,
    Encoder,
    frame_rate_fraction,
    livelink_packet,
    vmc_bones,
    vrchat_eyes,
    vrchat_lids,
)
from voxrig.core.channel_names import style_names
from voxrig.core.names import ARKIT52
from voxrig.core.rotation import eye_angles

WEIGHTS = np.linspace(0.0, 1.0, 52, dtype=np.float32)


def decode_livelink(packet: bytes) -> dict:
    """Reads a Live Link Face packet field by field, as Unreal's receiver does."""
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from(fmt, packet, pos)
        pos += struct.calcsize(fmt)
        return values

    def string() -> str:
        nonlocal pos
        (length,) = take(">i")
        text = packet[pos:pos + length].decode("utf-8")
        pos += length
        return text

    (version,) = take(">B")
    device, subject = string(), string()
    frame, subframe, numerator, denominator = take(">ifii")
    (count,) = take(">B")
    values = take(f">{count}f")
    assert pos == len(packet), "trailing bytes"
    return dict(version=version, device=device, subject=subject, frame=frame,
                subframe=subframe, rate=(numerator, denominator), values=values)


def test_livelink_packet_follows_the_published_layout_byte_for_byte():
    packet = livelink_packet(WEIGHTS, frame=1234, fps=60.0, subject="Face", device="dev")
    assert packet[0] == 6  # packet version of the Live Link Face app
    assert packet[1:5] == b"\x00\x00\x00\x03" and packet[5:8] == b"dev"  # big-endian length
    assert packet[8:12] == b"\x00\x00\x00\x04" and packet[12:16] == b"Face"
    assert packet[16:20] == (1234).to_bytes(4, "big")
    assert packet[32] == 61  # after 16 bytes of frame time
    assert len(packet) == 1 + (4 + 3) + (4 + 4) + 16 + 1 + 61 * 4
    decoded = decode_livelink(packet)
    assert decoded["version"] == 6 and decoded["subject"] == "Face"
    assert decoded["device"] == "dev" and decoded["frame"] == 1234
    assert decoded["subframe"] == 0.0 and decoded["rate"] == (60, 1)
    assert np.allclose(decoded["values"][:52], WEIGHTS)
    assert decoded["values"][52:55] == (0.0,) * 3  # no head given: a still head


def test_livelink_head_and_eyes_fill_their_slots_in_radians():
    weights = np.zeros(52, np.float32)
    weights[ARKIT52.index("eyeLookOutLeft")] = 0.5  # left eye 15 degrees to its left
    weights[ARKIT52.index("eyeLookDownRight")] = 0.5  # right eye 15 degrees down
    packet = livelink_packet(weights, frame=0, fps=60.0, head=np.array([5.0, -10.0, 2.0]))
    rotations = np.array(decode_livelink(packet)["values"][52:])
    expected = np.radians([-10.0, 5.0, 2.0, 15.0, 0.0, 0.0, 0.0, -15.0, 0.0])
    assert rotations == pytest.approx(expected, abs=1e-6)


def test_livelink_frame_rate_is_an_exact_fraction():
    assert frame_rate_fraction(29.97) == (30000, 1001)
    assert frame_rate_fraction(23.976) == (24000, 1001)
    assert frame_rate_fraction(25.0) == (25, 1)


def test_each_protocol_has_its_receivers_usual_port():
    assert {p: PROTOCOLS[p].port for p in PROTOCOLS} == {
        "vmc": 39539, "vrchat": 9000, "generic": 8000, "livelink": 11111}


def test_vmc_frame_is_one_bundle_of_blend_values_then_apply():
    (datagram,) = Encoder("vmc").datagrams(7, 7 / 60, WEIGHTS)
    bundle = OscBundle(datagram)
    messages = list(bundle)
    assert len(messages) == 57
    for name, message, value in zip(ARKIT52, messages[:52], WEIGHTS, strict=True):
        assert message.address == "/VMC/Ext/Blend/Val"
        assert message.params[0] == name
        assert message.params[1] == pytest.approx(float(value))
    assert [(m.address, m.params[0]) for m in messages[52:56]] == [
        ("/VMC/Ext/Bone/Pos", bone) for bone in ("Neck", "Head", "LeftEye", "RightEye")]
    assert messages[56].address == "/VMC/Ext/Blend/Apply" and messages[56].params == []


def vmc_bone(datagram: bytes, bone: str) -> np.ndarray:
    """(px, py, pz, qx, qy, qz, qw) of one bone in a VMC bundle."""
    (message,) = [m for m in OscBundle(datagram) if m.address == "/VMC/Ext/Bone/Pos"
                  and m.params[0] == bone]  # fmt: skip
    return np.array(message.params[1:])


def test_vmc_head_pitch_down_is_a_rotation_about_unity_x_shared_with_the_neck():
    (datagram,) = Encoder("vmc").datagrams(0, 0.0, np.zeros(52, np.float32),
                                           np.array([10.0, 0.0, 0.0], np.float32))
    head, neck = vmc_bone(datagram, "Head"), vmc_bone(datagram, "Neck")
    assert not head[:3].any() and not neck[:3].any()  # rotations only
    half = np.radians(10.0 * (1 - NECK_SHARE)) / 2
    assert head[3:] == pytest.approx([np.sin(half), 0, 0, np.cos(half)], abs=1e-6)
    half = np.radians(10.0 * NECK_SHARE) / 2
    assert neck[3:] == pytest.approx([np.sin(half), 0, 0, np.cos(half)], abs=1e-6)


def test_vmc_head_turning_to_the_avatars_left_is_a_negative_unity_y_rotation():
    (datagram,) = Encoder("vmc").datagrams(0, 0.0, np.zeros(52, np.float32),
                                           np.array([0.0, 10.0, 0.0], np.float32))
    assert vmc_bone(datagram, "Head")[4] < 0


def test_vmc_eyes_turn_as_their_eye_look_channels_say():
    weights = np.zeros(52, np.float32)
    weights[ARKIT52.index("eyeLookOutLeft")] = 0.5  # left eye: 15 degrees to its left
    weights[ARKIT52.index("eyeLookUpRight")] = 0.5  # right eye: 15 degrees up
    (datagram,) = Encoder("vmc").datagrams(0, 0.0, weights)
    half = np.radians(15.0) / 2
    assert vmc_bone(datagram, "LeftEye")[3:] == pytest.approx(
        [0, -np.sin(half), 0, np.cos(half)], abs=1e-6)
    assert vmc_bone(datagram, "RightEye")[3:] == pytest.approx(
        [-np.sin(half), 0, 0, np.cos(half)], abs=1e-6)


def test_vrchat_frame_sets_avatar_parameters_with_face_tracking_names():
    datagrams = Encoder("vrchat").datagrams(0, 0.0, WEIGHTS)
    messages = [OscMessage(d) for d in datagrams]
    assert len(messages) == 42 + 6 + 3 == Encoder("vrchat").messages_per_frame
    jaw = next(m for m in messages if m.address == "/avatar/parameters/FT/v2/JawOpen")
    assert jaw.params == [pytest.approx(float(WEIGHTS[ARKIT52.index("jawOpen")]))]
    assert all(m.address.startswith("/avatar/parameters/FT/v2/") for m in messages[:48])
    assert [m.address for m in messages[-3:]] == [
        "/avatar/parameters/voxrig/HeadPitch", "/avatar/parameters/voxrig/HeadYaw",
        "/avatar/parameters/voxrig/HeadRoll"]


def vrchat_values(weights: np.ndarray, head=None) -> dict[str, float]:
    return {OscMessage(d).address.removeprefix("/avatar/parameters/"): OscMessage(d).params[0]
            for d in Encoder("vrchat").datagrams(0, 0.0, weights, head)}


def test_vrchat_eyes_are_face_tracking_eye_parameters_as_the_sine_of_the_angle():
    weights = np.zeros(52, np.float32)
    weights[ARKIT52.index("eyeLookOutLeft")] = 0.5  # left eye: 15 degrees to the avatar's left
    weights[ARKIT52.index("eyeLookUpRight")] = 0.5  # right eye: 15 degrees up
    values = vrchat_values(weights)
    assert values["FT/v2/EyeLeftX"] == pytest.approx(-np.sin(np.radians(15.0)), abs=1e-6)
    assert values["FT/v2/EyeRightY"] == pytest.approx(np.sin(np.radians(15.0)), abs=1e-6)
    assert values["FT/v2/EyeLeftY"] == 0.0 and values["FT/v2/EyeRightX"] == 0.0


def test_vrchat_eyelids_are_open_at_one_and_closed_by_a_blink():
    weights = np.zeros(52, np.float32)
    weights[ARKIT52.index("eyeBlinkRight")] = 0.75
    values = vrchat_values(weights)
    assert values["FT/v2/EyeLidLeft"] == 1.0
    assert values["FT/v2/EyeLidRight"] == pytest.approx(0.25)


def test_vrchat_head_is_degrees_over_45_within_the_parameter_range():
    values = vrchat_values(np.zeros(52, np.float32), np.array([9.0, -4.5, 90.0], np.float32))
    assert values["voxrig/HeadPitch"] == pytest.approx(0.2)
    assert values["voxrig/HeadYaw"] == pytest.approx(-0.1)
    assert values["voxrig/HeadRoll"] == 1.0  # clipped


def test_generic_frame_carries_number_time_weights_head_and_eyes_then_each_channel():
    encoder = Encoder("generic", style_names("pascal"))
    weights = WEIGHTS.copy()
    weights[ARKIT52.index("eyeLookInLeft")] = 0.2  # left eye: 6 degrees to the avatar's right
    datagrams = encoder.datagrams(42, 0.7, weights, np.array([2.0, -3.0, 1.5], np.float32))
    frame = OscMessage(datagrams[0])
    assert frame.address == "/voxrig/frame"
    assert frame.params[0] == 42 and frame.params[1] == pytest.approx(0.7)
    assert np.allclose(frame.params[2:], weights)
    head, eyes = OscMessage(datagrams[1]), OscMessage(datagrams[2])
    assert head.address == "/voxrig/head" and head.params == pytest.approx([2.0, -3.0, 1.5])
    assert eyes.address == "/voxrig/eyes"
    assert eyes.params == pytest.approx(list(eye_angles(weights).reshape(-1)), abs=1e-5)
    assert eyes.params[0] == pytest.approx(-6.0 + 30 * float(weights[ARKIT52.index(
        "eyeLookOutLeft")]), abs=1e-5)
    blends = [OscMessage(d) for d in datagrams[3:]]
    assert [m.address for m in blends] == [f"/voxrig/blend/{n[0].upper()}{n[1:]}"
                                           for n in ARKIT52]
    assert encoder.messages_per_frame == len(datagrams) == 55


@pytest.mark.parametrize(("protocol", "style"), [("vmc", "arkit"), ("vrchat", "vrcft"),
                                                 ("generic", "pascal")])
def test_each_frame_is_byte_for_byte_what_python_osc_builds_for_it(protocol, style):
    """The encoder packs a frame's numbers into python-osc's bytes made once; a frame built by
    python-osc from scratch with the same numbers is identical."""
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    def message(address, *args):
        builder = OscMessageBuilder(address)
        for value, tag in args:
            builder.add_arg(value, tag)
        return builder.build()

    encoder = Encoder(protocol, style_names(style))
    sent = style_names(style).sent()
    for index, weights in enumerate(np.random.default_rng(5).random((3, 52), np.float32)):
        w = [float(v) for v in weights]
        if protocol == "vmc":
            bundle = OscBundleBuilder(IMMEDIATELY)
            for i, name in sent:
                bundle.add_content(message("/VMC/Ext/Blend/Val", (name, "s"), (w[i], "f")))
            bones = vmc_bones(weights, None).reshape(-1, 7)
            for bone, values in zip(("Neck", "Head", "LeftEye", "RightEye"), bones, strict=True):
                bundle.add_content(message("/VMC/Ext/Bone/Pos", (bone, "s"),
                                           *[(float(v), "f") for v in values]))
            bundle.add_content(message("/VMC/Ext/Blend/Apply"))
            expected = [bundle.build().dgram]
        elif protocol == "vrchat":
            expected = [message("/avatar/parameters/" + name, (w[i], "f")).dgram
                        for i, name in sent]
            extra = zip(VRCHAT_EYES + VRCHAT_HEAD,
                        [*vrchat_eyes(eye_angles(weights)), *vrchat_lids(weights), 0.0, 0.0,
                         0.0], strict=True)
            expected += [message("/avatar/parameters/" + name, (float(np.float32(v)), "f")
                                 ).dgram for name, v in extra]
        else:
            expected = [message("/voxrig/frame", (index, "i"), (index / 60, "f"),
                                *[(v, "f") for v in w]).dgram,
                        message("/voxrig/head", *[(0.0, "f")] * 3).dgram,
                        message("/voxrig/eyes", *[(float(v), "f") for v in
                                                  eye_angles(weights).reshape(-1)]).dgram]
            expected += [message("/voxrig/blend/" + name, (w[i], "f")).dgram for i, name in sent]
        assert encoder.datagrams(index, index / 60, weights) == expected
