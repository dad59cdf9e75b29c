"""Sections: bar-level self-similarity, novelty boundaries, repeat labels and kinds.

Conventions
-----------
Everything works on bars (downbeat to downbeat), so boundaries are bar lines by construction. The
first section starts at 0 s (a lead-in or pickup belongs to it) and the last ends at the song's end.

Steps: (1) two feature vectors per bar, texture (timbre, loudness, density) and content (texture plus
harmony); (2) cosine self-similarity matrices; (3) a checkerboard novelty curve on texture whose peaks,
at least ``min_bars`` apart, are boundaries; (4) segments are labelled A, B, C... by comparing their
content bar against bar; (5) kinds from repetition, position and energy:

- the repeated label with the highest energy is the chorus, the other repeated label the verse;
- an unrepeated first (last) section quieter than the song's median section is the intro (outro);
- an unrepeated section between repeated ones is a bridge; anything else is ``other``.
"""

from __future__ import annotations

import numpy as np

from audio.features import Features
from audio.model import Section


def bar_features(feat: Features, bar_starts_s: np.ndarray, end_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Two standardised feature vectors per bar: texture (for boundaries) and content (for labels).

    Texture is what stays constant inside a section and changes between sections: timbre (MFCC mean and
    spread), loudness and note density. Content adds the harmony (chroma), which changes from bar to bar
    inside a section but repeats when the section repeats.

    Parameters
    ----------
    feat : Features
    bar_starts_s : np.ndarray [shape=(b,), seconds]
        Downbeat times.
    end_s : float, seconds
        End of the last bar.

    Returns
    -------
    texture : np.ndarray [shape=(b, 26)]
    content : np.ndarray [shape=(b, 38)]
    """
    edges = feat.frame_of(np.append(bar_starts_s, end_s))
    db = 20 * np.log10(np.maximum(feat.rms, 1e-6))
    tex, chroma = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        b = max(b, a + 1)
        m = feat.mfcc[1:, a:b]
        density = np.log1p(feat.onset_env[a:b].mean())
        tex.append(np.concatenate([m.mean(axis=1), m.std(axis=1), [db[a:b].mean(), density]]))
        c = feat.chroma[:, a:b].mean(axis=1)
        chroma.append(c / (np.linalg.norm(c) + 1e-9))
    texture = _standardise(np.array(tex))
    content = np.concatenate([_standardise(np.array(chroma)), texture], axis=1)
    return texture, content


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 1e-9, sd, 1.0)


def self_similarity(x: np.ndarray) -> np.ndarray:
    """Cosine self-similarity of row vectors.

    Parameters
    ----------
    x : np.ndarray [shape=(b, d)]

    Returns
    -------
    np.ndarray [shape=(b, b), -1..1]
    """
    unit = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    return unit @ unit.T


def novelty(ssm: np.ndarray, *, half_bars: int = 4) -> np.ndarray:
    """Checkerboard-kernel novelty at every bar line (Foote 2000), normalised to max 1.

    Parameters
    ----------
    ssm : np.ndarray [shape=(b, b)]
    half_bars : int
        Half-width of the kernel in bars.

    Returns
    -------
    np.ndarray [shape=(b,)]
        Novelty of a boundary just before bar ``i`` (``0`` for ``i = 0``).
    """
    b = ssm.shape[0]
    L = half_bars
    g = np.exp(-0.5 * (np.arange(-L, L) + 0.5) ** 2 / (L / 2.0) ** 2)
    sign = np.where(np.arange(-L, L) < 0, -1.0, 1.0)
    kernel = np.outer(g, g) * np.outer(sign, sign)
    nov = np.zeros(b)
    total = np.abs(kernel).sum()
    for i in range(1, b):
        # Near the ends only the part of the kernel inside the song counts, rescaled to full weight.
        lo, hi = max(0, i - L), min(b, i + L)
        k = kernel[lo - (i - L): hi - (i - L), lo - (i - L): hi - (i - L)]
        nov[i] = max(0.0, float(np.sum(ssm[lo:hi, lo:hi] * k)) * total / max(np.abs(k).sum(), 1e-9))
    return nov / nov.max() if nov.max() > 0 else nov


def pick_boundaries(nov: np.ndarray, *, min_bars: int = 4, threshold: float = 0.25) -> list[int]:
    """Bar indices where sections start: novelty peaks at least ``min_bars`` apart, strongest first.

    Parameters
    ----------
    nov : np.ndarray [shape=(b,)]
    min_bars : int
    threshold : float
        Peaks below this fraction of the strongest are ignored.

    Returns
    -------
    list of int, increasing, always starting with 0
    """
    b = nov.shape[0]
    chosen: list[int] = []
    order = np.argsort(-nov, kind="stable")
    for i in order:
        i = int(i)
        if nov[i] < threshold or i < min_bars or b - i < min_bars:
            continue
        is_peak = nov[i] >= nov[max(0, i - 1): i + 2].max()
        if is_peak and all(abs(i - c) >= min_bars for c in chosen):
            chosen.append(i)
    return [0, *sorted(chosen)]


def label_segments(ssm: np.ndarray, starts: list[int], n_bars: int, *, threshold: float = 0.55,
                   max_shift: int = 2) -> list[str]:
    """Repeat letters for segments: A for the first, the same letter for segments that match it.

    Two segments match when their bars, aligned from the segment starts (allowing a shift of up to
    ``max_shift`` bars, for a boundary placed a bar early or late), are similar on average above
    ``threshold`` and their lengths differ by less than a factor of two.

    Parameters
    ----------
    ssm : np.ndarray [shape=(b, b)]
    starts : list of int
        Segment start bars (from :func:`pick_boundaries`).
    n_bars : int
    threshold : float
    max_shift : int

    Returns
    -------
    list of str
    """
    bounds = [*starts, n_bars]
    segs = list(zip(bounds[:-1], bounds[1:], strict=True))
    labels: list[str] = []
    reps: list[list[int]] = []
    for j, (a, b) in enumerate(segs):
        best, best_sim = -1, threshold
        for k, members in enumerate(reps):
            sims = [segment_similarity(ssm, segs[m], (a, b), max_shift) for m in members]
            if max(sims) > best_sim:
                best, best_sim = k, max(sims)
        if best < 0:
            reps.append([j])
            labels.append(_letter(len(reps) - 1))
        else:
            reps[best].append(j)
            labels.append(_letter(best))
    return labels


def segment_similarity(ssm: np.ndarray, seg1: tuple[int, int], seg2: tuple[int, int], max_shift: int) -> float:
    """Best mean bar-to-bar similarity of two segments over alignment shifts (-inf if lengths differ 2x).

    Parameters
    ----------
    ssm : np.ndarray [shape=(b, b)]
    seg1, seg2 : (int, int)
        Start and end bars.
    max_shift : int
        Largest shift, in bars, of the second segment against the first.

    Returns
    -------
    float
    """
    (a, b), (c, d) = seg1, seg2
    if max(b - a, d - c) >= 2 * min(b - a, d - c):
        return -np.inf
    best = -np.inf
    n = ssm.shape[0]
    for shift in range(-max_shift, max_shift + 1):
        length = min(b - a, d - c) - abs(shift)
        if length < 1:
            continue
        i0, j0 = (a, c + shift) if shift >= 0 else (a - shift, c)
        idx = np.arange(length)
        ok = (i0 + idx < n) & (j0 + idx < n) & (j0 + idx >= 0)
        if ok.sum() >= 1:
            best = max(best, float(ssm[i0 + idx[ok], j0 + idx[ok]].mean()))
    return best


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"Z{i - 25}"


def assign_kinds(labels: list[str], energies: list[float]) -> list[str]:
    """Section kinds from repetition, position and energy (rules in the module docstring).

    Parameters
    ----------
    labels : list of str
    energies : list of float, 0..1

    Returns
    -------
    list of str
    """
    n = len(labels)
    counts = {lab: labels.count(lab) for lab in labels}
    repeated = [lab for lab in dict.fromkeys(labels) if counts[lab] > 1]
    mean_e = {lab: float(np.mean([e for l2, e in zip(labels, energies, strict=True) if l2 == lab]))
              for lab in repeated}
    by_energy = sorted(repeated, key=lambda lab: -mean_e[lab])
    kinds_of = {}
    if by_energy:
        kinds_of[by_energy[0]] = "chorus"
    if len(by_energy) > 1:
        kinds_of[by_energy[1]] = "verse"
    median_e = float(np.median(energies)) if energies else 0.0
    first_rep = next((i for i, lab in enumerate(labels) if counts[lab] > 1), None)
    last_rep = max((i for i, lab in enumerate(labels) if counts[lab] > 1), default=None)
    kinds = []
    for i, (lab, e) in enumerate(zip(labels, energies, strict=True)):
        if lab in kinds_of:
            kinds.append(kinds_of[lab])
        elif counts[lab] > 1:
            kinds.append("other")
        elif i == 0 and n > 1 and e <= median_e:
            kinds.append("intro")
        elif i == n - 1 and n > 1 and e <= median_e:
            kinds.append("outro")
        elif first_rep is not None and last_rep is not None and first_rep < i < last_rep:
            kinds.append("bridge")
        else:
            kinds.append("other")
    return kinds


def segment(feat: Features, downbeats_s: np.ndarray, duration_s: float, energy: np.ndarray, *,
            min_bars: int = 4, label_threshold: float = 0.55) -> list[Section]:
    """Split a song into labelled sections on bar lines.

    Parameters
    ----------
    feat : Features
    downbeats_s : np.ndarray [shape=(b,), seconds, increasing]
        Bar start times.
    duration_s : float, seconds
    energy : np.ndarray [shape=(n_frames,), 0..1]
        The energy curve at ``feat.frame_rate_hz`` (for section energy and kinds).
    min_bars : int
        Shortest section, in bars.
    label_threshold : float
        Similarity above which two segments get the same letter.

    Returns
    -------
    list of Section
        Contiguous, covering 0..duration_s.
    """
    downbeats_s = np.asarray(downbeats_s, dtype=np.float64)
    if downbeats_s.shape[0] < 2 * min_bars:
        starts_s = [0.0]
        labels = ["A"]
        confidences = [0.3]
    else:
        bar_len = float(np.median(np.diff(downbeats_s)))
        end_s = min(duration_s, downbeats_s[-1] + bar_len)
        texture, content = bar_features(feat, downbeats_s, end_s)
        nov = novelty(self_similarity(texture), half_bars=min(4, max(1, downbeats_s.shape[0] // 4)))
        starts = pick_boundaries(nov, min_bars=min_bars)
        labels = label_segments(self_similarity(content), starts, downbeats_s.shape[0], threshold=label_threshold)
        starts_s = [0.0] + [float(downbeats_s[i]) for i in starts[1:]]
        confidences = [1.0] + [float(nov[i]) for i in starts[1:]]
    ends_s = [*starts_s[1:], float(duration_s)]
    fr = feat.frame_rate_hz
    energies = []
    for a, b in zip(starts_s, ends_s, strict=True):
        seg = energy[int(a * fr): max(int(a * fr) + 1, int(b * fr))]
        energies.append(float(seg.mean()) if seg.size else 0.0)
    kinds = assign_kinds(labels, energies)
    return [Section(start=a, end=b, label=lab, kind=k, energy=e, confidence=c)
            for a, b, lab, k, e, c in zip(starts_s, ends_s, labels, kinds, energies, confidences, strict=True)]
