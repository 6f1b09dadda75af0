"""Live: `voxrig stream` sends animation frames over the network as audio arrives (OSC for
VMC apps, VRChat and generic receivers; Unreal's Live Link Face packet). See docs/live.md."""
