"""voxrig.bridge — every edge to the outside world: CLI, files, network."""
