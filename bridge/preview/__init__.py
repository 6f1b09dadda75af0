"""`voxrig preview`: a video of the ICT head speaking a clip, rendered on the CPU."""
