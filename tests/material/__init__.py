"""Test material: synthesized songs and speech with exact ground truth (not shipped in the wheel)."""
