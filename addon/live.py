"""Live preview: receive `voxrig stream --protocol generic` and drive the shape keys.

A non-blocking UDP socket is drained by a Blender timer (never blocking the UI); the newest
`/voxrig/frame` message (frame number, time, 52 ARKit weights) is applied through the target's
mapping table. Viseme rows are not driven live (the stream sends ARKit channels)."""

import errno
import socket

import bpy

from voxrig.core.names import ARKIT_INDEX

from . import mapping

FRAME_ADDRESS = "/voxrig/frame"
HOST = "127.0.0.1"
INTERVAL = 1 / 60


class _State:
    sock: socket.socket | None = None
    obj_name: str = ""
    frames: int = 0
    last_frame: int = -1


def is_listening() -> bool:
    return _State.sock is not None


def status() -> str:
    if _State.frames == 0:
        return "waiting for voxrig stream ..."
    return f"{_State.frames} frames received (last #{_State.last_frame})"


def start(obj, port: int) -> None:
    """Listen on HOST:port for the target `obj`; OSError with a readable message if not."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(f"port {port} is in use by another program; choose another port "
                          "(and pass it to voxrig stream --port)") from None
        raise OSError(f"cannot listen on port {port}: {exc.strerror}") from None
    sock.setblocking(False)
    _State.sock, _State.obj_name, _State.frames, _State.last_frame = sock, obj.name, 0, -1
    if not bpy.app.timers.is_registered(_tick):
        bpy.app.timers.register(_tick, first_interval=INTERVAL)


def stop() -> None:
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    if _State.sock is not None:
        _State.sock.close()
        _State.sock = None


def _latest_frame() -> tuple[int, list[float]] | None:
    """Drain the socket; the newest complete frame message, if any came."""
    from pythonosc.osc_message import OscMessage, ParseError

    newest = None
    while True:
        try:
            data = _State.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return newest
        except OSError:
            return newest
        try:
            message = OscMessage(data)
        except ParseError:
            continue
        args = message.params
        if message.address == FRAME_ADDRESS and len(args) == 2 + len(ARKIT_INDEX):
            newest = (int(args[0]), [float(v) for v in args[2:]])


def poll() -> bool:
    """Apply the newest frame received; whether one was applied."""
    if _State.sock is None:
        return False
    frame = _latest_frame()
    obj = bpy.data.objects.get(_State.obj_name)
    if frame is None or obj is None or obj.data.shape_keys is None:
        return False
    index, weights = frame
    blocks = obj.data.shape_keys.key_blocks
    table, _ = mapping.read_table(obj)
    for key_name, source in table.items():
        channel = ARKIT_INDEX.get(source)
        if channel is not None and key_name in blocks:
            blocks[key_name].value = weights[channel]
    _State.frames += 1
    _State.last_frame = index
    return True


def _tick() -> float | None:
    if _State.sock is None:
        return None
    poll()
    return INTERVAL


class VOXRIG_OT_listen(bpy.types.Operator):
    """Start or stop receiving `voxrig stream --protocol generic` to preview live"""

    bl_idname = "voxrig.listen"
    bl_label = "Listen"

    def execute(self, context):
        if is_listening():
            stop()
            self.report({"INFO"}, "stopped listening")
            return {"FINISHED"}
        from .operators import UserError, mapped_channels, target_mesh

        try:
            obj = target_mesh(context)
            mapped_channels(obj)
            start(obj, context.scene.voxrig.live_port)
        except (UserError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"listening on {HOST}:{context.scene.voxrig.live_port}")
        return {"FINISHED"}


CLASSES = (VOXRIG_OT_listen,)
