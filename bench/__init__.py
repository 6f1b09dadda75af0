"""voxrig benchmarks and quality evaluation (not shipped): `python -m bench`."""
