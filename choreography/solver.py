"""``solve``: an analysis, rigs and a move library in; a :class:`~choreography.model.Choreography` out.

Steps per character: per-beat music features; the energy target (music energy, energy pins, the final
chorus built up); cost arrays; pins; the decoder. Sections that repeat a label are then given the first
occurrence's moves (mirrored on request; a ``variation`` share is left free to change), by pinning them
and decoding again. Keyframes are the moves' key poses placed on the beat grid: a move's beat offsets
become times through the song's beat times, so tempo changes stretch moves in time, not in beats;
values are clamped to the rig's joint limits and slowed where a joint would turn faster than its limit.

Planted feet are held still by correcting the root (:func:`plant_feet`). Camera shots come from
:func:`choreography.camera.plan_shots` and lighting from :func:`choreography.lighting.plan_lighting`.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from audio.errors import ChoreoError
from audio.model import Analysis
from choreography.model import Choreography, MovePlacement, Track, parse_fps, seconds_to_frame
from choreography.music import (
    BeatFeatures,
    beat_features,
    beat_period,
    half_time,
    merged_mean,
    repeat_targets,
    style_affinity,
)
from choreography.params import ENSEMBLES, SolveParams
from choreography.pins import Pins, apply_locks, apply_pins, check_pins, honoured, pinned_energy
from choreography.plan import (
    MoveArrays,
    Placement,
    cost_arrays,
    decode,
    family_beats,
    placements,
    section_usage,
    usage_caps,
)
from choreography.quality import move_beat_fit

# Bump when the same inputs solve differently (2: pickup counted in, root keys thinned; 3: hook; 4: beat fit).
STAGE_VERSION = "4"
ROOT_KEY_TOLERANCE_PX = 0.01  # root keys dropped where a straight line misses them by less (far below a pixel)


def move_arrays(lib) -> tuple[MoveArrays, dict[str, np.ndarray]]:
    """The cost model's view of a move library (see :func:`choreography.moves.library_arrays`).

    Parameters
    ----------
    lib : MoveLibrary

    Returns
    -------
    arrays : MoveArrays
    tags : dict of str to np.ndarray [shape=(n_moves,), bool]
        Which moves carry each tag.
    """
    from choreography.moves import BONES, library_arrays

    a = library_arrays(lib, BONES)
    tag = {name: a["tags"][:, i] for i, name in enumerate(a["tag_names"])}
    names = tuple(a["names"])
    index = {n: i for i, n in enumerate(names)}
    family = np.arange(len(names))
    for i, n in enumerate(names):  # a move and its mirror image are one family
        j = index.get(lib.mirror_name(n), i)
        family[i] = family[j] = min(family[i], family[j])
    return (MoveArrays(names, a["beats"], a["energy"], tag["accent"], tag["hold"], tag["calm"],
                       a["transition_deg"], family, a["styles"]), tag)


@functools.lru_cache(maxsize=4)
def _prepared(lib) -> tuple:
    """The library with its mirror images and its solver arrays, cached for interactive re-solves."""
    full = lib.with_mirrors()
    arrays, tags = move_arrays(full)
    return full, arrays, tags


def energy_target(analysis: Analysis, bf: BeatFeatures, build_final: float) -> np.ndarray:
    """Music energy per beat, with the last occurrence of the loudest repeated section built up.

    Parameters
    ----------
    analysis : Analysis
    bf : BeatFeatures
    build_final : float
        Energy added there (clipped to 1).

    Returns
    -------
    np.ndarray [shape=(n_beats,), 0..1]
    """
    level = 0.5 * (bf.energy + bf.intensity)
    # Half the song's own level, half its rank within the song: a dancer answers the song's dynamics (its
    # loudest part is danced biggest even in a loud song throughout), and a quiet song stays calmer.
    rank = (np.argsort(np.argsort(level, kind="stable"), kind="stable") + 0.5) / max(level.size, 1)
    target = 0.5 * level + 0.5 * rank
    labels = [s.label for s in analysis.sections]
    repeated = [i for i, lab in enumerate(labels) if labels.count(lab) > 1]
    if repeated and build_final > 0:
        loud = max(repeated, key=lambda i: analysis.sections[i].energy)
        last = max(i for i, lab in enumerate(labels) if lab == labels[loud])
        target = np.where(bf.section == last, np.clip(target + build_final, 0.0, 1.0), target)
    return target


def style_hint(style: str) -> tuple[str, ...]:
    """The styles of an artist's hint ("smooth,elegant"), checked.

    Parameters
    ----------
    style : str

    Returns
    -------
    tuple of str

    Raises
    ------
    ChoreoError
        An unknown style (with the nearest known one).
    """
    from audio.errors import did_you_mean
    from choreography.moves import STYLES

    out = tuple(x.strip() for x in style.split(",") if x.strip())
    for x in out:
        if x not in STYLES:
            raise ChoreoError(f"unknown style {x!r}{did_you_mean(x, STYLES)} (styles: {', '.join(STYLES)})")
    return out


def style_fit(analysis: Analysis, bf: BeatFeatures, arrays: MoveArrays, style: str) -> np.ndarray | None:
    """How well each move's styles suit each beat: the music's character, and the artist's hint above it.

    Parameters
    ----------
    analysis : Analysis
    bf : BeatFeatures
    arrays : MoveArrays
    style : str
        The artist's hint (see :func:`style_hint`).

    Returns
    -------
    np.ndarray [shape=(n_moves, n_beats)] or None
        None when the library has no styles.
    """
    from choreography.moves import STYLES

    if arrays.styles is None or not arrays.styles.any():
        return None
    has = arrays.styles.astype(float)
    music = (has[:, :, None] * style_affinity(analysis, bf, STYLES)[None, :, :]).max(axis=1)[:, bf.section]
    hint = style_hint(style)
    if not hint:
        return music
    # The artist's word weighs more than the music's reading: a hinted style is worth twice a perfect fit.
    wanted = np.array([x in hint for x in STYLES], dtype=float)
    return 0.5 * music + 2.0 * (has @ wanted > 0)[:, None]


def plan_character(analysis: Analysis, bf: BeatFeatures, lib, arrays: MoveArrays, tags: dict[str, np.ndarray],
                   pins: Pins, character: str, params: SolveParams,
                   singing: np.ndarray | None = None, beat_fit: np.ndarray | None = None) -> list[Placement]:
    """Decode one character's moves, with repeated sections tied to their first occurrence.

    Parameters
    ----------
    analysis : Analysis
    bf : BeatFeatures
    lib : MoveLibrary
    arrays : MoveArrays
    tags : dict of str to np.ndarray
    pins : Pins
    character : str
    params : SolveParams
    singing : np.ndarray [shape=(n_beats,), 0..1], optional
    beat_fit : np.ndarray [shape=(n_moves,), 0..1], optional
        How well each move comes to rest on the beats at the song's tempo (for the character's rig).

    Returns
    -------
    list of Placement
    """
    mine = pins.for_character(character)
    target = pinned_energy(mine, bf, energy_target(analysis, bf, params.plan.build_final))

    n_sections = max(len(analysis.sections), int(bf.section.max(initial=0)) + 1)
    caps = usage_caps(bf.section, n_sections, int(np.max(bf.beat, initial=4)), arrays, params.plan)
    fam = arrays.families
    # The song as a whole: its sections that play their label for the first time (repeats copy them).
    labels = [s.label for s in analysis.sections]
    fresh = np.array([labels.index(lab) == i for i, lab in enumerate(labels)] + [True] * (n_sections - len(labels)))
    n_fresh = max(float(np.sum(fresh[bf.section])), 1.0)
    song_caps = np.maximum(params.plan.share_cap * n_fresh, family_beats(arrays))

    fit = style_fit(analysis, bf, arrays, params.style)

    # The costs are the same on every pass; only the prices (and, last, the repeat forces) change.
    base_emit, base_start, trans = cost_arrays(bf, arrays, params.plan, singing=singing, energy_target=target,
                                               style_fit=fit, beat_fit=beat_fit)
    apply_pins(mine, bf, arrays, tags, base_emit, base_start)

    # A pickup (beats before the first downbeat) is counted in, not danced: the dance starts on "one", so
    # that moves of a bar start on downbeats and half-bar moves on beats 1 and 3 (the library's moves are
    # 2, 4 and 8 beats long: a plan started on an odd pickup would stay off the bar to the end).
    lead_in = int(np.argmax(bf.downbeat)) if bf.downbeat.any() else 0

    def run(extra_force: list[tuple[int, int]], price: np.ndarray) -> list[Placement]:
        emit = base_emit + price[fam][:, bf.section]
        start = base_start.copy() if extra_force else base_start
        for m, b in extra_force:
            start[m, b] -= 1.0e5  # below a pin's bonus: the artist's pins win over the repeat rule
        decoded = decode(emit[:, lead_in:], start[:, lead_in:], trans, arrays.beats)
        return placements([(m, b + lead_in) for m, b in decoded], arrays, bf.n)

    # Lagrangian relaxation of the usage caps (per section, and over the song's first-time sections): a
    # family's excess raises its price per beat where it is over, and the plan is decoded again.
    n_beats = np.maximum(np.bincount(bf.section, minlength=n_sections), 1)

    def within_caps(force: list[tuple[int, int]], sec_price: np.ndarray, song_price: np.ndarray):
        price = sec_price + song_price[:, None] * fresh[None, :]
        plan = run(force, price)
        best, since = (np.inf, plan, sec_price, song_price), 0
        for k in range(params.plan.variety_passes + 1):
            use = section_usage(plan, arrays, bf.section, n_sections)
            excess, song_excess = use - caps, use[:, fresh].sum(axis=1) - song_caps
            over = float(np.maximum(excess, 0).sum() + np.maximum(song_excess, 0).sum())
            best, since = ((over, plan, sec_price, song_price), 0) if over < best[0] else (best, since + 1)
            # Done when within the caps, or when 3 passes in a row came no nearer (pins can make a cap
            # unreachable: a hold pin leaves only the hold moves to a section).
            if over == 0 or since >= 3 or k == params.plan.variety_passes:
                break
            # Prices only rise (on what is over its cap): lowering them again made the plan swing between
            # two sets of moves from pass to pass instead of spreading over more.
            step = params.plan.variety_step
            sec_price = sec_price + step * np.maximum(excess, 0.0) / n_beats[None, :]
            song_price = song_price + step * np.maximum(song_excess, 0.0) / n_fresh
            plan = run(force, sec_price + song_price[:, None] * fresh[None, :])
        return best[1:]  # the pass closest to the caps (subgradient steps need not improve every time)

    plan, sec_price, song_price = within_caps([], np.zeros((int(fam.max(initial=0)) + 1, n_sections)),
                                              np.zeros(int(fam.max(initial=0)) + 1))
    force = _repeat_forces(analysis, bf, plan, lib, arrays, params)
    if force:
        # Tying the repeats to their first occurrence decodes the whole song again, which can move the
        # first-time sections too: the caps are enforced again on that decoding, from the prices reached.
        plan, _, _ = within_caps(force, sec_price, song_price)
    honoured(mine, bf, plan)
    return plan


def _repeat_forces(analysis: Analysis, bf: BeatFeatures, plan: list[Placement], lib, arrays: MoveArrays,
                   params: SolveParams) -> list[tuple[int, int]]:
    """(move index, beat) starts that copy each repeated section's first occurrence, and the chorus's hook.

    The hook is the chorus's signature: the moves of the first chorus's first bar open every later chorus,
    also one the analysis labels differently (a varied last chorus, a key change); a chorus that repeats
    the first one's label copies it whole anyway. The hook is never left out for variation.
    """
    rng = np.random.default_rng(params.seed)
    index = {n: i for i, n in enumerate(arrays.names)}
    first: dict[str, int] = {}
    out = []

    def copies(src: np.ndarray, dst: np.ndarray, keep) -> None:
        for p in plan:
            if not (src[0] <= p.start_beat and p.start_beat + p.n_beats <= src[-1] + 1):
                continue
            name = lib.mirror_name(p.move) if params.mirror_repeats else p.move
            for b in repeat_targets(bf.beat, src, dst, p.start_beat):
                if keep():
                    out.append((index.get(name, index[p.move]), b))

    bar = int(bf.beat.max(initial=1))
    hook: np.ndarray | None = None  # the first chorus's opening move (at least its first bar)
    for s_i, sec in enumerate(analysis.sections):
        beats_here = np.flatnonzero(bf.section == s_i)
        if beats_here.size == 0:
            continue
        if sec.kind == "chorus" and hook is None:
            downs = beats_here[bf.downbeat[beats_here]]
            if downs.size:
                length = max([p.n_beats for p in plan if p.start_beat == downs[0]] + [bar])
                hook = beats_here[(beats_here >= downs[0]) & (beats_here < downs[0] + length)]
        elif sec.kind == "chorus" and sec.label not in first and hook is not None:
            copies(hook, beats_here[beats_here < beats_here[0] + hook.size + bar], lambda: True)
        if sec.label not in first:
            first[sec.label] = s_i
            continue
        copies(np.flatnonzero(bf.section == first[sec.label]), beats_here,
               lambda: rng.uniform() >= params.variation)
    return out


def keyframes(plan: list[Placement], lib, rig, bf: BeatFeatures, fps: Fraction, character: str,
              duration_frames: int) -> dict[str, Track]:
    """Key poses of the planned moves as keyframe tracks, on the frame grid.

    Parameters
    ----------
    plan : list of Placement
    lib : MoveLibrary
    rig : Rig
    bf : BeatFeatures
    fps : Fraction
    character : str
    duration_frames : int

    Returns
    -------
    dict of channel name to Track
        ``<character>/<bone>.rot`` (degrees, offsets from the rig's rest pose), ``<character>/root.x`` and
        ``<character>/root.y`` (px, offsets from the rig's origin, y up).
    """
    from choreography.moves import BONES, EASES, key_arrays, rig_root_scale

    scale = rig_root_scale(rig)
    beat_idx = np.arange(bf.n, dtype=np.float64)
    period = beat_period(bf.t_s)
    frames: list[int] = []
    values: list[np.ndarray] = []
    eases: list[str] = []
    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for p in plan:
        if p.move not in cache:
            cache[p.move] = key_arrays(lib[p.move], BONES, root_scale=scale)
        kb, kv, ke = cache[p.move]
        for beat, val, ease in zip(kb, kv, ke, strict=True):
            if beat > p.n_beats + 1e-9:
                break
            pos = p.start_beat + beat
            t = float(np.interp(pos, beat_idx, bf.t_s)) if pos <= bf.n - 1 else bf.t_s[-1] + (pos - bf.n + 1) * period
            f = min(seconds_to_frame(t, fps), duration_frames - 1)
            if frames and f <= frames[-1]:  # the next move's entry replaces a key on the same frame
                frames.pop()
                values.pop()
                eases.pop()
            frames.append(f)
            values.append(val)
            eases.append(EASES[int(ease)])
    if not frames:
        return {}
    vals = np.array(values)
    rot = _limit_speed(np.clip(vals[:, :len(BONES)], rig.limits_deg[:len(BONES), 0], rig.limits_deg[:len(BONES), 1]),
                       np.array(frames), fps, rig.max_speed_deg_s[:len(BONES)])
    vals[:, :len(BONES)] = rot
    names = [f"{character}/{b}.rot" for b in BONES] + [f"{character}/root.x", f"{character}/root.y"]
    return {name: Track(tuple(frames), tuple(float(v) for v in vals[:, j]), tuple(eases))
            for j, name in enumerate(names)}


def plant_feet(tracks: dict[str, Track], plan: list[Placement], lib, rig, bf: BeatFeatures, fps: Fraction,
               character: str, duration_frames: int) -> tuple[dict[str, Track], float]:
    """Keep planted feet still: move the root so a planted ankle stays where the plant began.

    Where a move marks a foot as planted (its ``feet`` spans), the character's root offset is corrected
    frame by frame by the ankle's drift (forward kinematics of the sampled pose), and those frames get
    their own root keys; elsewhere the root keys stay, so the correction blends out linearly. Root keys a
    straight line between their neighbours reproduces within ``ROOT_KEY_TOLERANCE_PX`` are then dropped
    (:func:`choreography.sampling.thin_linear_keys`): a planted foot holds still with a few keys, not one
    per frame.

    Parameters
    ----------
    tracks : dict of str to Track
        The character's channels (from :func:`keyframes`).
    plan : list of Placement
    lib : MoveLibrary
    rig : Rig
    bf : BeatFeatures
    fps : Fraction
    character : str
    duration_frames : int

    Returns
    -------
    tracks : dict of str to Track
        With corrected ``root.x`` and ``root.y``.
    max_slide_px : float
        The largest ankle drift within a plant before correction (for the report).
    """
    from choreography.moves import BONES
    from choreography.rig import forward_kinematics
    from choreography.sampling import sample_character, thin_linear_keys

    kx, ky = f"{character}/root.x", f"{character}/root.y"
    if kx not in tracks:
        return tracks, 0.0
    beat_idx = np.arange(bf.n, dtype=np.float64)
    spans = []
    for p in plan:
        for fp in lib[p.move].feet:
            a, b = p.start_beat + fp.start_beat, min(p.start_beat + fp.end_beat, p.start_beat + p.n_beats)
            if b <= a or a > bf.n - 1:
                continue
            fa = seconds_to_frame(float(np.interp(a, beat_idx, bf.t_s)), fps)
            fb = seconds_to_frame(float(np.interp(min(b, bf.n - 1), beat_idx, bf.t_s)), fps)
            if fb > fa:
                spans.append((fa, min(fb, duration_frames - 1), rig.index[fp.foot]))
    if not spans:
        return tracks, 0.0
    rot, root = sample_character(tracks, character, BONES, duration_frames)
    full = np.zeros((duration_frames, len(rig.bones)))
    full[:, : len(BONES)] = rot
    # Bones relative to the root do not depend on where the root is: one forward-kinematics pass, with
    # the root at the origin, gives every ankle's offset from the root in every frame.
    rel = forward_kinematics(rig, full, np.zeros((duration_frames, 2)))[:, :, 0, :]
    corrected = root.copy()
    dense = np.zeros(duration_frames, dtype=bool)
    worst = 0.0
    flip = np.array([1.0, -1.0])  # stage y is down, root.y is up
    for fa, fb, foot in spans:
        seg = slice(fa, fb + 1)
        ankle = corrected[seg] * flip + rel[seg, foot]
        drift = ankle - ankle[0]
        worst = max(worst, float(np.abs(drift).max()))
        corrected[seg] -= drift * flip
        dense[seg] = True
    out = dict(tracks)
    for key, col in ((kx, 0), (ky, 1)):
        t = tracks[key]
        keep = [(f, v, e) for f, v, e in zip(t.frames, t.values, t.interp, strict=True) if not dense[f]]
        keep += [(int(f), float(corrected[f, col]), "linear") for f in np.flatnonzero(dense)]
        keep.sort()
        out[key] = thin_linear_keys(Track(tuple(k[0] for k in keep), tuple(k[1] for k in keep),
                                          tuple(k[2] for k in keep)), ROOT_KEY_TOLERANCE_PX)
    return out, worst


def _limit_speed(rot: np.ndarray, frames: np.ndarray, fps: Fraction, max_deg_s: np.ndarray) -> np.ndarray:
    """Pull each key toward the previous one where a joint would exceed its speed limit."""
    out = rot.copy()
    for i in range(1, out.shape[0]):
        dt = (frames[i] - frames[i - 1]) / float(fps)
        step = max_deg_s * dt
        out[i] = out[i - 1] + np.clip(out[i] - out[i - 1], -step, step)
    return out


def follow(lead: list[Placement], lib, mode: str, offset_beats: int, n_beats: int) -> list[Placement]:
    """A follower's plan from the leader's: the same moves, mirrored, or later by ``offset_beats`` (canon).

    Parameters
    ----------
    lead : list of Placement
    lib : MoveLibrary
        With mirrors (for "mirror").
    mode : str
        "unison", "mirror" or "canon".
    offset_beats : int
        Canon delay; the follower breathes in place until its entry.
    n_beats : int

    Returns
    -------
    list of Placement
    """
    if mode == "unison":
        return list(lead)
    if mode == "mirror":
        return [Placement(lib.mirror_name(p.move) if lib.mirror_name(p.move) in lib else p.move, p.start_beat,
                          p.n_beats) for p in lead]
    out = [Placement("idle_breathe" if "idle_breathe" in lib else lead[0].move, 0, min(offset_beats, n_beats))]
    for p in lead:
        b = p.start_beat + offset_beats
        if b >= n_beats:
            break
        out.append(Placement(p.move, b, min(p.n_beats, n_beats - b)))
    return [p for p in out if p.n_beats > 0]


def singing_per_beat(track, analysis: Analysis) -> np.ndarray:
    """Share of each beat during which a mouth track is not at rest (the character sings).

    Parameters
    ----------
    track : MouthTrack
    analysis : Analysis

    Returns
    -------
    np.ndarray [shape=(n_beats,), 0..1]
    """
    t = np.array([b.t for b in analysis.beats])
    ends = np.append(t[1:], t[-1] + beat_period(t))
    out = np.zeros(t.size)
    fps = float(track.fps)
    for c in track.cues:
        if c.shape == "X":
            continue
        a, b = c.start_frame / fps, c.end_frame / fps
        overlap = np.clip(np.minimum(ends, b) - np.maximum(t, a), 0.0, None)
        out += overlap / (ends - t)
    return np.clip(out, 0.0, 1.0)


def solve(analysis: Analysis, rigs: dict, lib, pins: Pins | None = None, params: SolveParams | None = None, *,
          singing: dict[str, np.ndarray] | None = None, previous: Choreography | None = None) -> Choreography:
    """Choreograph a song for one or more characters.

    Parameters
    ----------
    analysis : Analysis
    rigs : dict of str to Rig
        Character name to rig, in stage order.
    lib : MoveLibrary
        Mirrored variants are added when missing.
    pins : Pins, optional
    params : SolveParams, optional
    singing : dict of str to np.ndarray [shape=(n_beats,), 0..1], optional
        How much each character sings on each beat.
    previous : Choreography, optional
        The choreography that lock pins keep parts of.

    Returns
    -------
    Choreography

    Raises
    ------
    ChoreoError
        Empty song, pins that cannot be honoured (named), unknown characters in pins.
    """
    p = params or SolveParams()
    pins = pins or Pins()
    if not analysis.beats:
        raise ChoreoError("the analysis has no beats; nothing to choreograph", path=analysis.source.path)
    unknown = {q.character for q in pins.pins if q.character is not None} - set(rigs)
    if unknown:
        raise ChoreoError(f"pins name unknown characters {sorted(unknown)}; the characters are {sorted(rigs)}",
                          path=pins.source or None)
    fps = parse_fps(p.fps)
    style_hint(p.style)  # an unknown style fails before any work
    lib, arrays, tags = _prepared(lib)
    music = beat_features(analysis)
    fast = analysis.tempo.bpm > p.half_time_above_bpm
    bf, kept = half_time(music) if fast else (music, np.arange(music.n))
    if fast and singing:
        singing = {k: merged_mean(v, kept) for k, v in singing.items()}
    check_pins(pins, bf, arrays, tags, len(analysis.sections))
    duration_frames = max(1, seconds_to_frame(analysis.source.duration_s, fps))
    tracks: dict[str, Track] = {}
    moves: list[MovePlacement] = []
    if p.ensemble not in ENSEMBLES:
        raise ChoreoError(f"unknown ensemble {p.ensemble!r}; choose one of {', '.join(ENSEMBLES)}")
    names = list(rigs)
    followers_pinned = {q.character for q in pins.pins if q.character in names[1:]}
    if p.ensemble != "independent" and followers_pinned:
        raise ChoreoError(f"pins for {sorted(followers_pinned)} need --ensemble independent; in {p.ensemble} the "
                          f"others follow {names[0]!r}", path=pins.source or None)
    period = beat_period(music.t_s)

    def fit(rig) -> np.ndarray:
        return move_beat_fit(lib, rig, period, float(fps), beats_per_move_beat=2 if fast else 1)

    lead = plan_character(analysis, bf, lib, arrays, tags, pins, names[0], p, (singing or {}).get(names[0]),
                          fit(rigs[names[0]]))
    slides: dict[str, float] = {}
    for k, (name, rig) in enumerate(rigs.items()):
        if k == 0:
            plan = lead
        elif p.ensemble == "independent":
            plan = plan_character(analysis, bf, lib, arrays, tags, pins, name, p, (singing or {}).get(name), fit(rig))
        else:
            plan = follow(lead, lib, p.ensemble, k * p.canon_beats, bf.n)
        part = keyframes(plan, lib, rig, bf, fps, name, duration_frames)
        part, slide = plant_feet(part, plan, lib, rig, bf, fps, name, duration_frames)
        slides[name] = round(slide, 2)
        x0 = (k - (len(rigs) - 1) / 2.0) * p.spacing_px
        if f"{name}/root.x" in part:
            t = part[f"{name}/root.x"]
            part[f"{name}/root.x"] = Track(t.frames, tuple(v + x0 for v in t.values), t.interp)
        # After the formation offset: the previous choreography's positions already include it.
        part = apply_locks(pins.for_character(name), part, previous, name, duration_frames)
        tracks.update(part)
        for pl in plan:
            start_f = seconds_to_frame(bf.t_s[pl.start_beat], fps)
            end_b = pl.start_beat + pl.n_beats
            end_f = seconds_to_frame(bf.t_s[end_b], fps) if end_b < bf.n else duration_frames
            moves.append(MovePlacement(name, pl.move, start_f, max(end_f, start_f + 1), int(kept[pl.start_beat]),
                                       int(bf.bar[pl.start_beat]), int(bf.beat[pl.start_beat])))
    from choreography.camera import plan_shots
    from choreography.lighting import plan_lighting

    bounds = [(sec.start, sec.end, sec.label, sec.kind) for sec in analysis.sections]
    shots, camera = plan_shots(music, bounds, fps=fps, duration_frames=duration_frames, n_characters=len(rigs),
                               seed=p.seed)
    lights, light_stats = plan_lighting(music, bounds, fps=fps, duration_frames=duration_frames)
    tracks.update(camera)
    tracks.update(lights)
    return Choreography(fps=fps, duration_frames=duration_frames, characters=tuple(rigs), tracks=tracks,
                        moves=tuple(moves), shots=tuple(shots),
                        provenance={"stage": "choreograph", "stage_version": STAGE_VERSION, "seed": p.seed,
                                    "params": {"fps": p.fps, "variation": p.variation,
                                               "mirror_repeats": p.mirror_repeats, "ensemble": p.ensemble,
                                               "canon_beats": p.canon_beats, "spacing_px": p.spacing_px,
                                               "half_time_above_bpm": p.half_time_above_bpm, "style": p.style,
                                               "plan": p.plan.__dict__},
                                    "rigs": {k: r.name for k, r in rigs.items()}, "moves": lib.name,
                                    "pins": pins.source or None, "analysis": analysis.source.sha256,
                                    "lighting": light_stats, "foot_slide_corrected_px": slides,
                                    "dance_grid": "half time" if fast else "every beat"},
                        warnings=())
