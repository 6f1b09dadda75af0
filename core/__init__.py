"""voxrig.core — the engine: audio -> phones -> animation curves -> clip. Pure computation."""
