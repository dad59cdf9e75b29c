"""The voice separation model's checkpoint reader (audio/separation.py); the separation itself is tested on a
synthesized mix in test_lipsync.py."""

from __future__ import annotations

import struct

import pytest

from audio import separation


def test_the_checkpoint_holds_two_unets_in_keras_order():
    """Every tensor the two U-Nets use is read, in the shape Keras saved it: each stem 7 convolutions, 6
    transposed convolutions and 12 batch normalisations; the training step (an integer) is left out."""
    folder = separation.weights_dir()
    if folder is None:
        pytest.skip(f"the separation model is not installed: {separation.INSTALL_HINT}")
    w = separation.read_checkpoint(folder)
    assert "global_step" not in w
    assert len([k for k in w if k.startswith("conv2d") and "transpose" not in k]) == 2 * 7 * 2
    assert len([k for k in w if k.startswith("conv2d_transpose")]) == 2 * 6 * 2
    assert len([k for k in w if k.startswith("batch_normalization")]) == 2 * 12 * 4
    assert w["conv2d/kernel"].shape == (5, 5, 2, 16) and w["conv2d_7/kernel"].shape == (5, 5, 2, 16)
    assert w["conv2d_6/kernel"].shape == (4, 4, 1, 2) and w["conv2d_13/bias"].shape == (2,)
    assert w["conv2d_transpose/kernel"].shape == (5, 5, 256, 512)
    assert w["conv2d_transpose_11/kernel"].shape == (5, 5, 1, 32)
    assert (w["batch_normalization_5/moving_variance"] > 0).all()


def test_a_file_that_is_no_checkpoint_index_is_refused(tmp_path):
    (tmp_path / "model.index").write_bytes(b"\0" * 40 + struct.pack("<Q", 12345))
    (tmp_path / "model.data-00000-of-00001").write_bytes(b"")
    with pytest.raises(ValueError, match="not a TensorFlow checkpoint index"):
        separation.read_checkpoint(tmp_path)
    (tmp_path / "model.index").write_bytes(b"short")
    with pytest.raises(ValueError, match="not a TensorFlow checkpoint index"):
        separation.read_checkpoint(tmp_path)


def test_without_the_weights_the_model_is_unavailable(monkeypatch):
    monkeypatch.setattr(separation.importlib.util, "find_spec", lambda name: None)
    assert separation.weights_dir() is None and not separation.available()
