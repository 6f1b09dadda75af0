"""The face renderer's ground (issue 17): tracked GRID s1 faces, canonical crops, the
renderer's validation split, and the ICT-keypoint-to-person mapping."""
