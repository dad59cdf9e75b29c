"""Sections: boundaries from several views of the song, repeat labels and kinds.

Conventions
-----------
Everything works on bars (downbeat to downbeat), so boundaries are bar lines by construction. The
first section starts at 0 s (a lead-in or pickup belongs to it) and the last ends at the song's end.

Steps:

1. Features per bar: texture (timbre as MFCC mean and spread, loudness, note density) and harmony
   (the chroma of each half of the bar); per beat: chroma and timbre.
2. Two kinds of novelty (Paulus, Müller and Klapuri's survey calls them homogeneity and repetition):

   - homogeneity: a checkerboard kernel (Foote 2000) slid along the diagonal of the texture and the
     harmony self-similarity matrices, about 8 s on each side, finds where the sound changes;
   - repetition: structure features (Serrà, Müller, Grosche and Arcos 2014) find where the pattern of
     repeats changes, which is how a second verse is told from the first verse it follows, or a chorus
     that sounds like the verse: a recurrence plot of one-bar embeddings of the beats (mutual nearest
     neighbours), turned into lag coordinates and smoothed; the novelty is the distance between the
     lag rows of neighbouring beats.

   The two are averaged (each kind sees boundaries the other misses).
3. Boundaries are novelty peaks that stand above the median of the novelty around them (a section's
   length either side) by ``peak_threshold`` of the strongest, at least ``min_bars`` apart; a short
   section survives when its edges are strong peaks. The peak's height is the boundary's confidence.
4. Segments are labelled A, B, C... by comparing their content (harmony and texture) bar against bar.
5. Kinds from repetition, position and energy:

- the repeated label with the highest energy is the chorus, the other repeated label the verse;
- an unrepeated first (last) section quieter than the song's median section is the intro (outro);
- an unrepeated section between repeated ones is a bridge; anything else is ``other``.
"""

from __future__ import annotations

import numpy as np

from audio.features import Features, span_means
from audio.model import Section


def bar_features(feat: Features, bar_starts_s: np.ndarray, end_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Two feature matrices per bar: texture (timbre, loudness, density) and harmony (half-bar chroma).

    Texture is what stays constant inside a section and changes between sections: timbre (MFCC mean and
    spread), loudness and note density, standardised per song. Harmony is the unit chroma of the first
    and of the second half of each bar, so that a bar's chord change is part of it.

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
    harmony : np.ndarray [shape=(b, 24)]
    """
    edges = feat.frame_of(np.append(bar_starts_s, end_s))
    starts = edges[:-1]
    stops = np.maximum(edges[1:], starts + 2)
    mids = (starts + stops) // 2
    mfcc = feat.mfcc[1:]
    mean = span_means(mfcc, starts, stops)
    spread = np.sqrt(np.maximum(span_means(mfcc**2, starts, stops) - mean**2, 0.0))
    db = 20 * np.log10(np.maximum(feat.rms, 1e-6))
    loud_dense = span_means(np.stack([db, feat.onset_env]), starts, stops)
    texture = np.concatenate([mean, spread, loud_dense[:1], np.log1p(loud_dense[1:])]).T
    harmony = np.concatenate([_unit(span_means(feat.chroma, starts, mids)),
                              _unit(span_means(feat.chroma, mids, stops))]).T
    return _standardise(texture), harmony


def beat_features(feat: Features, beats_s: np.ndarray, end_s: float) -> np.ndarray:
    """One vector per beat for the repetition view: unit chroma and (down-weighted) standardised timbre.

    Parameters
    ----------
    feat : Features
    beats_s : np.ndarray [shape=(n,), seconds, increasing]
    end_s : float, seconds
        End of the last beat.

    Returns
    -------
    np.ndarray [shape=(n, 24)]
        12 chroma values (unit norm) and 12 MFCCs (standardised, scaled to a total weight of 0.5).
    """
    edges = feat.frame_of(np.append(beats_s, end_s))
    chroma = _unit(span_means(feat.chroma, edges[:-1], edges[1:])).T
    timbre_z = _standardise(span_means(feat.mfcc[1:], edges[:-1], edges[1:]).T)
    return np.concatenate([chroma, 0.5 * timbre_z / np.sqrt(timbre_z.shape[1])], axis=1)


def _scaled_inside(x: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``x`` where ``inside`` (zero elsewhere), divided by its maximum there."""
    kept = np.where(inside, x, 0.0)
    return kept / kept.max() if kept.max() > 0 else kept


def _unit(columns: np.ndarray) -> np.ndarray:
    return columns / (np.linalg.norm(columns, axis=0, keepdims=True) + 1e-9)


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


def repetition_novelty(x: np.ndarray, *, embed: int, k_frac: float = 0.03, sigma: float = 4.0) -> np.ndarray:
    """Novelty of the repetition structure (Serrà et al. 2014's structure features), one value per row.

    Rows are embedded with the ``embed - 1`` rows after them (a beat and the rest of its bar); each
    embedded row keeps its ``k_frac * n`` nearest neighbours, and only mutual neighbours count as a
    recurrence. Recurrences are moved to lag coordinates (row ``i``, lag ``l``: does ``i`` recur ``l``
    rows later?) and smoothed with a Gaussian of ``sigma`` rows along time, so that a row says which
    lags repeat around it. Inside a section the lags stay the same; at a boundary they change.

    Parameters
    ----------
    x : np.ndarray [shape=(n, d)]
        One feature vector per beat.
    embed : int >= 1
        Rows per embedded vector.
    k_frac : float
        Fraction of the rows kept as nearest neighbours (at least 2).
    sigma : float, rows
        Smoothing along time.

    Returns
    -------
    np.ndarray [shape=(n,), 0..1]
        Novelty of a boundary just before row ``i`` (0 for ``i = 0``), normalised to max 1.
    """
    from scipy.ndimage import gaussian_filter

    n = x.shape[0]
    if n < 3:
        return np.zeros(n)
    emb = np.concatenate([x[np.minimum(np.arange(n) + j, n - 1)] for j in range(max(1, embed))], axis=1)
    sq = np.sum(emb * emb, axis=1)
    dist = sq[:, None] + sq[None, :] - 2.0 * emb @ emb.T
    np.fill_diagonal(dist, np.inf)
    k = min(n - 1, max(2, int(round(k_frac * n))))
    near = np.argpartition(dist, k - 1, axis=1)[:, :k]
    rec = np.zeros((n, n))
    rec[np.arange(n)[:, None], near] = 1.0
    rec *= rec.T
    rows = np.arange(n)[:, None]
    lag = rec[rows, (rows + np.arange(n)[None, :]) % n]
    lag = gaussian_filter(lag, sigma=(sigma, 0.5), mode="nearest")
    nov = np.zeros(n)
    nov[1:] = np.sqrt(np.sum(np.diff(lag, axis=0) ** 2, axis=1))
    return nov / nov.max() if nov.max() > 0 else nov


def pick_boundaries(nov: np.ndarray, *, min_bars: int = 2, threshold: float = 0.15,
                    window_bars: int = 8) -> list[int]:
    """Bar indices where sections start: novelty peaks that stand out from their surroundings.

    A peak counts when it exceeds the median novelty within ``window_bars`` on either side by
    ``threshold`` times the strongest novelty of the song; peaks are taken strongest first, at least
    ``min_bars`` from each other and from the ends.

    Parameters
    ----------
    nov : np.ndarray [shape=(b,)]
    min_bars : int
    threshold : float
    window_bars : int

    Returns
    -------
    list of int, increasing, always starting with 0
    """
    from scipy.ndimage import median_filter

    b = nov.shape[0]
    if b == 0:
        return [0]
    local = median_filter(nov, size=2 * max(1, window_bars) + 1, mode="nearest")
    chosen: list[int] = []
    for i in np.argsort(-nov, kind="stable"):
        i = int(i)
        if i < min_bars or b - i < min_bars or nov[i] - local[i] <= threshold * nov.max():
            continue
        if nov[i] >= nov[max(0, i - 1): i + 2].max() and all(abs(i - c) >= min_bars for c in chosen):
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


def segment(feat: Features, beats_s: np.ndarray, beat_in_bar: np.ndarray, duration_s: float, energy: np.ndarray, *,
            min_bars: int = 2, label_threshold: float = 0.55, peak_threshold: float = 0.15,
            kernel_s: float = 8.0, section_s: float = 16.0) -> list[Section]:
    """Split a song into labelled sections on bar lines.

    Parameters
    ----------
    feat : Features
    beats_s : np.ndarray [shape=(n,), seconds, increasing]
        Beat times.
    beat_in_bar : np.ndarray [shape=(n,), int, 1-based]
        Position of each beat in its bar (1 is the downbeat).
    duration_s : float, seconds
    energy : np.ndarray [shape=(n_frames,), 0..1]
        The energy curve at ``feat.frame_rate_hz`` (for section energy and kinds).
    min_bars : int
        Shortest section, in bars.
    label_threshold : float
        Similarity above which two segments get the same letter.
    peak_threshold : float
        How far a boundary's novelty must stand above its surroundings (fraction of the strongest).
    kernel_s : float, seconds
        Half-width of the checkerboard kernel (converted to bars at the song's tempo).
    section_s : float, seconds
        The surroundings a peak is compared with, on each side: about a typical section.

    Returns
    -------
    list of Section
        Contiguous, covering 0..duration_s.
    """
    beats_s = np.asarray(beats_s, dtype=np.float64)
    down_idx = np.flatnonzero(np.asarray(beat_in_bar) == 1)
    downbeats_s = beats_s[down_idx]
    n_bars = downbeats_s.shape[0]
    if n_bars < 2 * max(min_bars, 4):
        starts_s, labels, confidences = [0.0], ["A"], [0.3]
    else:
        bar_s = float(np.median(np.diff(downbeats_s)))
        end_s = min(duration_s, downbeats_s[-1] + bar_s)
        texture, harmony = bar_features(feat, downbeats_s, end_s)
        half = min(max(2, int(round(kernel_s / bar_s))), max(1, n_bars // 4))
        homogeneity = 0.5 * (novelty(self_similarity(texture), half_bars=half)
                             + novelty(self_similarity(harmony - harmony.mean(axis=0)), half_bars=half))
        beat_s = float(np.median(np.diff(beats_s)))
        per_bar = max(1, int(round(bar_s / beat_s)))
        rep_beats = repetition_novelty(beat_features(feat, beats_s, min(duration_s, beats_s[-1] + beat_s)),
                                       embed=per_bar, sigma=float(per_bar))
        # A boundary found on the beat level lands on the downbeat within a beat of it.
        repetition = np.array([rep_beats[max(0, i - 1): i + 2].max() for i in down_idx])
        # Each view normalised to its strongest possible boundary, then averaged. Bars within min_bars of
        # the ends cannot start a section, and there both views see half a kernel (the song's edge looks
        # novel): left in, the edge sets the scale and flattens every real peak.
        inner = np.zeros(n_bars, dtype=bool)
        inner[min_bars: n_bars - min_bars + 1] = True
        nov = 0.5 * _scaled_inside(homogeneity, inner) + 0.5 * _scaled_inside(repetition, inner)
        starts = pick_boundaries(nov, min_bars=min_bars, threshold=peak_threshold,
                                 window_bars=max(2, int(round(section_s / bar_s))))
        content = np.concatenate([_standardise(harmony), texture], axis=1)
        labels = label_segments(self_similarity(content), starts, n_bars, threshold=label_threshold)
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
