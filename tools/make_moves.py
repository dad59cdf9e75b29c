"""Author the generated part of the shipped move library (``choreography/data/moves/default.json``).

The library is data and is committed as JSON; this script is how most of its moves were written. The
first 49 moves were written by hand and are kept as they are in the file (this script only gives them
their ``styles``); every move defined below is built from a few readable numbers per key pose:

- arms as anatomical ``(upper_arm, forearm, hand)`` triples per side (the right side's signs are flipped
  for you, see the conventions in ``choreography/moves.py``);
- torso bends as in the file (``lean`` is the root; + toward the character's right);
- legs as ankle positions: ``lf=(dx, dy)`` / ``rf=(dx, dy)`` in px from where the ankle stands at rest
  (screen x to the right, y up; a 200 px leg), solved with two-bone inverse kinematics for the hip height
  (``ry``, by default the highest the standing legs reach, minus ``dip``), knees bending outward and feet
  kept flat on the floor (``ltoe`` / ``rtoe`` lift the toes, negative points them); or a lifted leg as
  anatomical angles ``ll=(thigh, shin, foot)`` / ``rl=...``.

Planted feet (the ``feet`` spans) are derived from the ankle positions: a foot that stands on the same spot
from one key to the next is planted over that segment. Every pose is checked against the joint limits of
the shipped rigs, every move's symmetry against its ``mirror`` flag, and every move must end where it began.

Run ``.venv/bin/python tools/make_moves.py`` to rewrite the library (idempotent; the hand-written moves
and their order are kept, generated moves are replaced and appended in the order defined here). A move
written by hand in the JSON file must be listed in ``HAND_WRITTEN_STYLES``; a move that is in neither
place (one this script generated before and no longer defines) is dropped.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from choreography.moves import BONES, EASES, STYLES, TAGS, moves_from_dict  # noqa: E402
from choreography.rig import load_rig  # noqa: E402

LIBRARY = ROOT / "choreography" / "data" / "moves" / "default.json"

LEG = 100.0  # half a leg, px: a 200 px leg (moves.REFERENCE_LEG_PX)
THIGH, SHIN = 103.0, 97.0  # its thigh and shin (ada 102 + 98, bo 104 + 96 at that scale)
HIP = 26.0  # half the distance between the hips, px at that scale (ada 17, bo 36: the mean)
FOOT = 40.0  # foot length at that scale, for rising on the toes


def _shipped_limits() -> dict[str, tuple[float, float]]:
    """Joint limits every shipped rig allows (the intersection over ada and bo), by bone."""
    rigs = [load_rig(n) for n in ("ada", "bo")]
    return {b: (max(r.limits_deg[r.index[b], 0] for r in rigs), min(r.limits_deg[r.index[b], 1] for r in rigs))
            for b in BONES}


LIMITS = _shipped_limits()
OVERSHOOT_MARGIN = 0.12  # an overshoot ease goes about 10 % past its key

READY_ARMS = (6, 10, 0)
WIDE_ARMS = (12, 20, 0)
WIDE_DX = 30.0

#: Styles of the hand-written moves (the generated ones say theirs where they are defined).
HAND_WRITTEN_STYLES = {
    "idle_breathe": ["smooth", "elegant"],
    "look_around": ["playful", "kids"],
    "bow": ["elegant", "classical"],
    "hands_behind_head": ["smooth", "hip_hop"],
    "head_bob": ["bouncy", "hip_hop"],
    "side_sway": ["smooth", "elegant"],
    "shrug": ["playful", "kids"],
    "slow_arm_circle": ["smooth", "elegant", "classical"],
    "bounce": ["bouncy", "hip_hop"],
    "hand_heart": ["playful", "kids"],
    "hip_sway": ["smooth", "jazz"],
    "arm_wave_l": ["playful", "kids"],
    "arm_wave_r": ["playful", "kids"],
    "crouch_rise": ["smooth", "hip_hop"],
    "step_touch_l": ["bouncy", "smooth"],
    "step_touch_r": ["bouncy", "smooth"],
    "body_roll": ["smooth", "hip_hop"],
    "clap": ["bouncy", "kids"],
    "heel_tap": ["playful", "jazz"],
    "salute": ["sharp", "playful", "kids"],
    "march": ["kids", "bouncy"],
    "shoulder_shimmy": ["jazz", "playful"],
    "slide": ["smooth", "hip_hop"],
    "double_clap": ["bouncy", "kids"],
    "knee_lift": ["bouncy", "sharp"],
    "robot": ["sharp", "hip_hop", "playful"],
    "step_clap": ["bouncy", "kids"],
    "grapevine": ["smooth", "jazz"],
    "hand_roll": ["smooth", "jazz"],
    "jazz_hands": ["jazz", "playful"],
    "point_up": ["sharp", "jazz"],
    "twist": ["playful", "jazz", "bouncy"],
    "swim": ["smooth", "playful"],
    "wave_arms_overhead": ["smooth", "hip_hop"],
    "clap_overhead": ["bouncy", "kids"],
    "disco_point": ["sharp", "jazz"],
    "kick": ["sharp", "jazz"],
    "lasso": ["playful", "bouncy"],
    "spin_swing": ["elegant", "jazz"],
    "sprinkler": ["playful", "sharp"],
    "chicken_dance": ["kids", "playful"],
    "freeze_pose": ["sharp", "hip_hop"],
    "dab": ["hip_hop", "sharp"],
    "fist_pump": ["sharp", "bouncy"],
    "floss": ["hip_hop", "kids", "bouncy"],
    "running_man": ["hip_hop", "bouncy"],
    "jump": ["bouncy", "kids"],
    "wind_up_pose": ["sharp", "hip_hop"],
    "star_jump": ["bouncy", "kids"],
}


# ---------------------------------------------------------------------------------------------- poses


@dataclass
class Pose:
    """A key pose: the values written to the file and where each ankle stands (None: lifted)."""

    values: dict[str, float]
    feet: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    name: str | None = None  # a named pose of the library ("ready", "wide")


def _leg(side: str, hip: tuple[float, float], ankle: tuple[float, float], lean: float) -> tuple[float, float, float]:
    """Thigh, shin and flat-foot angles (file convention) that put the ankle at ``ankle``, knee outward."""
    dx, dy = ankle[0] - hip[0], ankle[1] - hip[1]
    d = math.hypot(dx, dy)
    if d > 2 * LEG + 1e-6:
        raise ValueError(f"{side} ankle {ankle} is out of reach of the hip {hip} ({d:.1f} px > {2 * LEG:.0f})")
    d = max(1e-6, min(d, THIGH + SHIN))
    k = 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, (THIGH ** 2 + SHIN ** 2 - d * d) / (2 * THIGH * SHIN)))))
    a = math.degrees(math.acos(max(-1.0, min(1.0, (THIGH ** 2 + d * d - SHIN ** 2) / (2 * THIGH * d)))))
    phi = math.degrees(math.atan2(dx, -dy))
    thigh_abs, shin = (phi + a, -k) if side == "l" else (phi - a, k)
    thigh = thigh_abs - lean
    return thigh, shin, -(lean + thigh + shin)


def _hips(rx: float, ry: float, lean: float) -> dict[str, tuple[float, float]]:
    c, s = math.cos(math.radians(lean)), math.sin(math.radians(lean))
    return {"l": (rx + HIP * c, 2 * LEG + ry + HIP * s), "r": (rx - HIP * c, 2 * LEG + ry - HIP * s)}


def P(*, la=READY_ARMS, ra=None, lean=0.0, spine=0.0, chest=0.0, neck=0.0, head=0.0, rx=0.0, ry=None, dip=0.0,
      lf=(0.0, 0.0), rf=(0.0, 0.0), ll=None, rl=None, ltoe=0.0, rtoe=0.0, releve=0.0) -> Pose:
    """Build a pose (see the module docstring). ``ra`` defaults to the mirror of ``la``.

    ``lf``/``rf`` are ankle offsets from the rest stance, ignored for a side given as ``ll``/``rl``
    angles; ``releve`` lifts both standing heels (px of ankle height) with the toes left on the floor.
    """
    ra = la if ra is None else ra
    v: dict[str, float] = {}
    v["root"], v["spine"], v["chest"], v["neck"], v["head"] = lean, spine, chest, neck, head
    for side, (ua, fa, hd) in (("l", la), ("r", ra)):
        sg = 1.0 if side == "l" else -1.0
        v[f"{side}_upper_arm"], v[f"{side}_forearm"], v[f"{side}_hand"] = sg * ua, sg * fa, sg * hd
    home = {"l": HIP, "r": -HIP}
    free = {"l": ll, "r": rl}
    want = {s: (home[s] + off[0], off[1] + (releve if off[1] == 0 else 0.0))
            for s, off in (("l", lf), ("r", rf)) if free[s] is None}
    if ry is None:
        hips0 = _hips(rx, 0.0, lean)
        reach = [math.sqrt(max(0.0, (2 * LEG) ** 2 - (a[0] - hips0[s][0]) ** 2)) - (hips0[s][1] - a[1])
                 for s, a in want.items()]
        ry = (min(reach) if reach else 0.0) - dip
    hips = _hips(rx, ry, lean)
    feet: dict[str, tuple[float, float] | None] = {}
    for s in ("l", "r"):
        sg = 1.0 if s == "l" else -1.0
        if free[s] is not None:
            th, sh, ft = free[s]
            v[f"{s}_thigh"], v[f"{s}_shin"], v[f"{s}_foot"] = sg * th, sg * sh, sg * ft
            feet[f"{s}_foot"] = None
            continue
        th, sh, ft = _leg(s, hips[s], want[s], lean)
        toe = (ltoe if s == "l" else rtoe) * sg
        if releve and (lf if s == "l" else rf)[1] == 0:
            toe -= sg * math.degrees(math.asin(min(1.0, releve / FOOT)))
        lo, hi = LIMITS[f"{s}_foot"]  # a pointed foot on a leg far out to the side: point it less
        v[f"{s}_thigh"], v[f"{s}_shin"], v[f"{s}_foot"] = th, sh, min(hi, max(lo, ft + toe))
        off = lf if s == "l" else rf
        feet[f"{s}_foot"] = (round(off[0], 3), round(want[s][1], 3))
    v["root_x"], v["root_y"] = rx, ry
    return Pose(v, feet)


READY = Pose({}, {"l_foot": (0.0, 0.0), "r_foot": (0.0, 0.0)}, "ready")
WIDE = Pose({}, {"l_foot": (WIDE_DX, 0.0), "r_foot": (-WIDE_DX, 0.0)}, "wide")


def wide(**kw) -> Pose:
    """A pose standing in the library's wide stance (feet 30 px out), arms as in ``wide`` unless given."""
    kw.setdefault("la", WIDE_ARMS)
    kw.setdefault("lf", (WIDE_DX, 0.0))
    kw.setdefault("rf", (-WIDE_DX, 0.0))
    return P(**kw)


def mirror_values(v: dict[str, float]) -> dict[str, float]:
    """The pose mirrored (as :func:`choreography.moves.mirror_pose`)."""
    out = {}
    for k, x in v.items():
        m = "r_" + k[2:] if k.startswith("l_") else "l_" + k[2:] if k.startswith("r_") else k
        out[m] = x if k == "root_y" else -x
    return out


# ---------------------------------------------------------------------------------------------- moves


@dataclass
class Gen:
    """A generated move: keys are ``(beat, Pose, ease)``."""

    name: str
    beats: int
    energy: float
    tags: list[str]
    styles: list[str]
    mirror: bool
    description: str
    keys: list[tuple[float, Pose, str]]
    hits: list[float]


GENERATED: list[Gen] = []


def move(name, beats, energy, tags, styles, mirror, description, keys, hits=()):
    """Define a generated move; a key is ``(beat, pose)`` or ``(beat, pose, ease)``."""
    ks = [(float(k[0]), k[1], k[2] if len(k) > 2 else "in_out") for k in keys]
    GENERATED.append(Gen(name, beats, energy, list(tags), list(styles), mirror, description, ks, list(hits)))


def _num(x: float) -> float | int:
    r = round(float(x), 1)
    if r == 0:
        return 0
    return int(r) if r.is_integer() else r


def _pose_json(p: Pose) -> dict[str, float] | str:
    if p.name is not None:
        return p.name
    out = {}
    for k in (*BONES, "root_x", "root_y"):
        x = _num(p.values.get(k, 0.0))
        if x != 0:
            out[k] = x
    return out


def _plants(g: Gen) -> list[dict]:
    spans = []
    for foot in ("l_foot", "r_foot"):
        start = None
        for (b0, p0, _), (_, p1, _) in zip(g.keys, g.keys[1:], strict=False):
            a, b = p0.feet.get(foot), p1.feet.get(foot)
            still = a is not None and a == b and a[1] < 12.0
            if still and start is None:
                start = b0
            if not still and start is not None:
                spans.append((start, b0, foot))
                start = None
        if start is not None:
            spans.append((start, g.keys[-1][0], foot))
    spans.sort(key=lambda s: (s[0], s[2]))
    return [{"foot": f, "from": _num(a), "to": _num(b)} for a, b, f in spans]


def _check(g: Gen, doc: dict) -> None:
    where = f"move {g.name!r}"
    assert set(g.tags) <= set(TAGS) and set(g.styles) <= set(STYLES) and 1 <= len(g.styles) <= 3, where
    assert g.keys[0][0] == 0 and g.keys[-1][0] == g.beats, where
    assert all(e in EASES for _, _, e in g.keys), where
    for b, p, e in g.keys:
        for k, x in (doc["poses"].get(p.name, {}) if p.name else _pose_json(p)).items():
            if k in LIMITS:
                lo, hi = LIMITS[k]
                span = (hi - lo) * OVERSHOOT_MARGIN if e == "overshoot" else 0.0
                if not lo + span <= x <= hi - span:
                    raise ValueError(f"{where} beat {b}: {k} = {x} is outside {lo}..{hi}"
                                     f"{' (with room to overshoot)' if span else ''}")
    first, last = g.keys[0][1], g.keys[-1][1]
    assert first.values.get("root_x", 0.0) == last.values.get("root_x", 0.0), f"{where} does not come back"
    poses = [doc["poses"].get(p.name, {}) if p.name else _pose_json(p) for _, p, _ in g.keys]
    symmetric = all(_same(mirror_values(q), q) for q in poses)
    if symmetric == g.mirror:
        raise ValueError(f"{where}: {'symmetric' if symmetric else 'asymmetric'} but mirror is {g.mirror}")


def _same(a: dict, b: dict) -> bool:
    return all(abs(a.get(k, 0.0) - b.get(k, 0.0)) <= 0.11 for k in set(a) | set(b))


def generated_json(g: Gen) -> dict:
    """The move as a ``choreo.moves/1`` object, fields in the library's order."""
    return {
        "name": g.name, "beats": g.beats, "energy": g.energy, "tags": [t for t in TAGS if t in g.tags],
        "styles": [s for s in STYLES if s in g.styles], "mirror": g.mirror, "description": g.description,
        "hits": [_num(h) for h in g.hits], "feet": _plants(g),
        "keys": [({"beat": _num(b), "pose": _pose_json(p)} if e == "in_out" else
                  {"beat": _num(b), "pose": _pose_json(p), "ease": e}) for b, p, e in g.keys],
    }


# ---------------------------------------------------------------------------------------------- the moves

R = READY
CLAP_LOW = (-13, 5, -10)  # palms together low in front (the library's clap)
CLAP_HIGH = (180, 28, -15)  # palms together overhead
OPEN_LOW = (35, 20, 0)
SECOND = (78, 12, -8)  # ballet second position: out to the side, softly rounded
EN_HAUT = (165, 45, 0)  # ballet fifth en haut: rounded overhead, hands meeting
DEMI = (45, 20, -12)  # demi-seconde: halfway down
GUARD = (25, 145, 0)  # fist up by the chin
PAWS = (35, 130, -45)  # forearms up, wrists dropped


def define_moves() -> None:
    """Every generated move, in library order (grouped by style)."""
    if GENERATED:
        return
    _jazz()
    _classical()
    _hip_hop()
    _kids()
    _smooth()
    _sharp()
    _bouncy_playful()


def _jazz() -> None:
    jazz_l = (40, 75, 35)
    jazz_out = (60, 30, 45)
    move("jazz_box_step", 4, 0.4, ["legs", "step", "full_body"], ["jazz", "smooth"], True,
         "Jazz square: the right foot crosses in front, the left steps out, the right steps back, the left "
         "closes; jazz arms and a chest contraction on the cross.",
         [(0, R),
          (0.5, P(la=jazz_l, ra=(25, 60, 20), rf=(20, 14), rx=6, head=-4)),
          (1, P(la=jazz_l, ra=(25, 60, 20), rf=(46, 0), rx=20, dip=6, chest=-6, head=-8)),
          (1.5, P(la=jazz_out, ra=jazz_out, rf=(46, 0), lf=(12, 12), rx=22)),
          (2, P(la=jazz_out, ra=jazz_out, rf=(46, 0), lf=(24, 0), rx=35, dip=4)),
          (2.5, P(la=(30, 60, 20), ra=jazz_l, rf=(22, 12), lf=(24, 0), rx=24)),
          (3, P(la=(30, 60, 20), ra=jazz_l, lf=(24, 0), rx=12, dip=6, chest=6, head=8)),
          (3.5, P(la=(20, 40, 10), lf=(12, 10), rx=4)),
          (4, R)],
         hits=[1, 2, 3, 4])
    move("kick_ball_change", 2, 0.6, ["legs", "step", "accent"], ["jazz", "sharp"], True,
         "Kick ball change: chamber the left knee, kick it out pointed, step down on the ball of the left "
         "foot and change the weight back to the right.",
         [(0, R),
          (0.5, P(la=(55, 30, 0), ra=(40, 30, 0), ll=(40, -85, 15), rx=-8, lean=3)),
          (1, P(la=(85, 10, 20), ra=(55, 20, 0), ll=(62, -4, -28), rx=-10, lean=8, head=-6), "out"),
          (1.5, P(la=(30, 30, 10), ra=(30, 30, 10), ltoe=-15, rf=(0, 5), rtoe=-12, rx=4, dip=4), "in"),
          (2, R)],
         hits=[1, 1.5, 2])
    move("charleston", 4, 0.7, ["arms", "legs", "step"], ["jazz", "playful"], True,
         "Charleston: the left leg kicks out while the arms swing against it, step down, the right foot "
         "flicks up behind, step down; bouncing all the way.",
         [(0, R),
          (0.5, P(la=(25, 30, 0), ra=(40, 60, 20), lf=(6, 12), rx=-8, dip=6)),
          (1, P(la=(15, 10, -30), ra=(75, 60, 40), ll=(42, -8, -22), rx=-10, lean=5, head=6), "out"),
          (1.5, P(la=(30, 40, 10), ra=(40, 50, 20), lf=(4, 10), rx=-6, dip=4)),
          (2, P(la=(35, 40, 10), ra=(35, 40, 10), rx=0, dip=10), "in"),
          (2.5, P(la=(40, 60, 20), ra=(25, 30, 0), rf=(-6, 12), rx=8, dip=6)),
          (3, P(la=(75, 60, 40), ra=(15, 10, -30), rl=(12, -95, -25), rx=10, lean=-5, head=-6), "out"),
          (3.5, P(la=(40, 50, 20), ra=(30, 40, 10), rf=(-4, 10), rx=6, dip=4)),
          (4, R, "in")],
         hits=[1, 2, 3, 4])
    snap_hi = (55, 118, 35)
    snap_lo = (15, 60, -10)
    move("snap_sway", 4, 0.25, ["arms", "full_body", "calm"], ["jazz", "smooth"], True,
         "Cool sway from side to side, fingers snapping at shoulder height on two and four.",
         [(0, R),
          (0.5, P(la=(40, 110, -25), ra=(12, 50, 0), rx=6, lean=-3, head=-3)),
          (1, P(la=snap_hi, ra=snap_lo, rx=10, lean=-5, spine=2, head=-7), "out"),
          (1.5, P(la=(30, 80, -10), ra=(30, 80, -10), rx=0)),
          (2, P(la=snap_lo, ra=(40, 110, -25), rx=-10, lean=5, spine=-2, head=4)),
          (2.5, P(la=(12, 50, 0), ra=(48, 115, -25), rx=-8, lean=4, head=6)),
          (3, P(la=snap_lo, ra=snap_hi, rx=-10, lean=5, spine=-2, head=7), "out"),
          (3.5, P(la=(20, 50, 0), ra=(30, 70, 0), rx=-4, lean=2)),
          (4, R)],
         hits=[1, 3])
    move("spirit_fingers", 2, 0.6, ["arms", "accent"], ["jazz", "playful"], False,
         "Arms shoot up into a V and the hands flutter.",
         [(0, R),
          (0.5, P(la=(20, 60, 0), dip=8)),
          (1, P(la=(140, 12, 35)), "out"),
          (1.25, P(la=(142, 12, -20))),
          (1.5, P(la=(140, 12, 35))),
          (1.75, P(la=(142, 12, -20))),
          (2, R)],
         hits=[1])
    brim = (150, 132, 5)
    move("fosse_hat_tip", 4, 0.4, ["arms", "accent", "hold"], ["jazz", "sharp"], True,
         "Fosse: the left hand at a hat brim, hip out, right knee turned in with the foot pointed, the right "
         "hand flexed low; tip the hat and back.",
         [(0, R),
          (1, P(la=brim, ra=(22, 5, 60), rf=(6, 4), rtoe=-25, rx=8, lean=-5, chest=6, head=10, neck=4), "out"),
          (2, P(la=(128, 95, 45), ra=(22, 5, 60), rf=(6, 4), rtoe=-25, rx=10, lean=-6, chest=6, head=4), "out"),
          (3, P(la=brim, ra=(22, 5, 60), rf=(6, 4), rtoe=-25, rx=8, lean=-5, chest=6, head=10, neck=4), "out"),
          (3.5, P(la=brim, ra=(22, 5, 60), rf=(6, 4), rtoe=-25, rx=8, lean=-5, chest=6, head=10, neck=4)),
          (4, R)],
         hits=[1, 2, 3])
    tada = P(la=(135, 10, 45), ra=(130, 10, 45), lf=(30, 6), ltoe=-25, rx=-6, lean=4, chest=-3, head=-8)
    move("ta_da", 2, 0.55, ["arms", "accent", "hold"], ["jazz", "playful"], True,
         "Ta-da: arms fling up and out with open hands, the left foot points out to the side; hold.",
         [(0, R),
          (0.5, P(la=(-20, 10, 0), dip=8)),
          (1, tada, "out"),
          (1.75, tada),
          (2, R)],
         hits=[1])
    move("jazz_walk", 8, 0.45, ["legs", "step", "travel", "full_body"], ["jazz", "smooth"], True,
         "Cross-over jazz walk: side, cross in front, side, touch with a snap; then back the other way.",
         [(0, R),
          (1, P(la=(40, 30, 30), ra=(30, 118, 30), lf=(40, 0), rx=20, dip=4)),
          (2, P(la=(30, 118, 30), ra=(40, 30, 30), lf=(40, 0), rf=(96, 0), rx=68, dip=6, chest=-4)),
          (3, P(la=(40, 30, 30), ra=(30, 118, 30), lf=(100, 0), rf=(96, 0), rx=98, dip=4)),
          (4, P(la=(55, 118, 35), ra=(30, 100, -20), lf=(100, 0), rf=(126, 6), rtoe=-20, rx=100, lean=-3,
                head=-8), "out"),
          (5, P(la=(30, 118, 30), ra=(40, 30, 30), lf=(100, 0), rf=(60, 0), rx=80, dip=4)),
          (6, P(la=(40, 30, 30), ra=(30, 118, 30), lf=(-16, 0), rf=(60, 0), rx=22, dip=6, chest=4)),
          (7, P(la=(30, 118, 30), ra=(40, 30, 30), lf=(-16, 0), rx=-8, dip=4)),
          (8, R)],
         hits=[1, 2, 3, 4, 5, 6, 7])
    move("pas_de_bourree", 2, 0.5, ["legs", "step"], ["jazz", "classical"], True,
         "Pas de bourree: the right foot steps behind on its ball, the left steps out, the right closes, "
         "the left comes home; arms soft.",
         [(0, R),
          (0.5, P(la=(45, 30, 0), ra=(30, 30, 0), rf=(36, 4), rtoe=-15, rx=10)),
          (1, P(la=(60, 25, 10), ra=(40, 30, 0), rf=(36, 4), rtoe=-15, lf=(34, 0), rx=30, dip=6)),
          (1.5, P(la=(40, 30, 0), ra=(45, 30, 0), lf=(34, 0), rx=14, dip=3)),
          (2, R)],
         hits=[0.5, 1, 1.5, 2])


def _classical() -> None:
    move("port_de_bras", 8, 0.15, ["arms", "calm"], ["classical", "elegant", "smooth"], True,
         "Port de bras: from bras bas the arms open to second, rise to fifth en haut with a rise onto the "
         "toes, open to second again and lower; the head inclines with them.",
         [(0, R),
          (1.5, P(la=(22, 28, -12))),
          (3, P(la=SECOND, head=8, neck=3)),
          (5, P(la=EN_HAUT, head=-5, neck=-2, releve=8)),
          (6.5, P(la=SECOND, head=6, neck=2)),
          (8, R)])
    move("plie", 4, 0.15, ["legs", "full_body", "calm"], ["classical", "elegant"], False,
         "Demi-plie in first position, knees opening over the toes, arms through demi-seconde to second; "
         "straighten and rise onto the toes.",
         [(0, R),
          (1.5, P(la=DEMI, dip=30)),
          (2.5, P(la=SECOND)),
          (3.25, P(la=SECOND, releve=8)),
          (4, R)],
         hits=[1.5])
    move("grand_plie_second", 8, 0.2, ["legs", "full_body", "calm"], ["classical", "elegant"], True,
         "Tendu the left foot out to second position, sink into a grand plie with the arms in second, rise "
         "with the arms en haut, open them and close the foot.",
         [(0, R),
          (1, P(la=DEMI, lf=(50, 6), ltoe=-30, rx=-4)),
          (2, P(la=DEMI, lf=(50, 0), rx=25)),
          (3.5, P(la=SECOND, lf=(50, 0), rx=25, dip=55)),
          (5, P(la=EN_HAUT, lf=(50, 0), rx=25, head=-4)),
          (6, P(la=SECOND, lf=(50, 0), rx=25, head=4)),
          (7, P(la=DEMI, lf=(50, 6), ltoe=-30, rx=-4)),
          (8, R)],
         hits=[3.5, 5])
    arabesque = dict(la=(150, 10, 10), ra=(70, 10, -10), ll=(55, 0, -30), lean=18, rx=-4, head=-10, neck=-4)
    move("arabesque_lean", 4, 0.3, ["legs", "full_body", "hold"], ["classical", "elegant"], True,
         "Arabesque as seen from the front: standing on the right leg, the left leg lifts long and pointed, "
         "the body leans away, the left arm reaches up; hold and come down through tendu.",
         [(0, R),
          (1, P(la=SECOND, lf=(40, 4), ltoe=-30, rx=-4)),
          (2, P(**arabesque)),
          (3, P(**{**arabesque, "ll": (60, 0, -30), "lean": 20})),
          (3.5, P(la=DEMI, lf=(40, 4), ltoe=-30, rx=-4)),
          (4, R)],
         hits=[2])
    frame_l, frame_r = (100, 60, -10), (70, 40, 0)
    move("waltz_sway", 4, 0.25, ["full_body", "calm"], ["elegant", "smooth", "classical"], True,
         "Waltz sway in a partner's frame: step out and sink, rise, sway back over the right foot and sink, "
         "close.",
         [(0, R),
          (1, P(la=frame_l, ra=frame_r, lf=(24, 0), rx=18, dip=10, lean=-5, head=-6)),
          (2, P(la=frame_l, ra=frame_r, lf=(24, 0), rx=12, head=-3)),
          (3, P(la=frame_l, ra=frame_r, lf=(24, 0), rx=2, dip=10, lean=5, head=4)),
          (4, R)],
         hits=[1, 3])
    move("reverence", 4, 0.15, ["full_body", "calm", "hold"], ["classical", "elegant"], True,
         "Reverence, the ballet bow: arms open to second, the left foot points out, the right knee bends, the "
         "arms lower and the head inclines; hold.",
         [(0, R),
          (1, P(la=SECOND, lf=(36, 5), ltoe=-30, rx=-4)),
          (2, P(la=DEMI, lf=(36, 5), ltoe=-30, rx=-4, dip=14, head=12, neck=6, chest=4)),
          (3, P(la=DEMI, lf=(36, 5), ltoe=-30, rx=-4, dip=14, head=12, neck=6, chest=4)),
          (4, R)],
         hits=[2])
    move("bow_sweep", 4, 0.2, ["arms", "full_body", "calm", "hold"], ["elegant", "playful"], True,
         "Courtly bow: the left arm sweeps up and then down across the body, the right arm opens behind, the "
         "left foot points, the right knee bends; hold.",
         [(0, R),
          (1, P(la=(130, 15, 20), ra=(30, 20, 0), head=-4)),
          (2, P(la=(-35, 30, -20), ra=(60, 10, 25), lf=(22, 4), ltoe=-25, rx=-4, dip=12, lean=6, head=14,
                neck=8)),
          (3, P(la=(-35, 30, -20), ra=(60, 10, 25), lf=(22, 4), ltoe=-25, rx=-4, dip=12, lean=6, head=14,
                neck=8)),
          (4, R)],
         hits=[2])
    move("bourree_turn", 8, 0.25, ["spin", "full_body", "calm"], ["classical", "elegant", "smooth"], True,
         "A slow turn suggested in 2D: plie, rise onto the toes with the arms en haut and the head spotting, "
         "little running steps on the toes, arms open, plie and close.",
         [(0, R),
          (1, P(la=SECOND, ra=(-30, 40, 0), dip=12)),
          (2, P(la=EN_HAUT, head=-10, releve=8)),
          (3, P(la=EN_HAUT, lf=(0, 16), rx=-3, head=-4, releve=8)),
          (4, P(la=EN_HAUT, rf=(0, 16), rx=3, head=4, releve=8)),
          (5, P(la=EN_HAUT, lf=(0, 16), rx=-3, head=10, releve=8)),
          (6, P(la=SECOND, head=6, releve=8)),
          (7, P(la=DEMI, dip=10)),
          (8, R)],
         hits=[2, 6])
    en_haut = P(la=EN_HAUT, releve=8)
    move("en_haut_hold", 4, 0.2, ["arms", "accent", "hold"], ["classical", "elegant"], False,
         "Rise onto the toes with the arms rounded overhead (fifth en haut) and hold: a phrase ending.",
         [(0, R),
          (1, en_haut),
          (3.5, en_haut),
          (4, R)],
         hits=[1])
    move("tendu_side", 2, 0.2, ["legs", "calm"], ["classical", "elegant"], True,
         "Battement tendu to the side: the left foot slides out pointed and back, arms in demi-seconde.",
         [(0, R),
          (1, P(la=DEMI, lf=(42, 5), ltoe=-35, rx=-4, head=6)),
          (2, R)],
         hits=[1])
    move("balance_step", 4, 0.3, ["full_body", "step", "calm"], ["classical", "elegant", "smooth"], True,
         "Balance: step out to the left and sink, the right foot steps behind on its ball and rises, down "
         "on the left; then over to the right and back.",
         [(0, R),
          (1, P(la=(60, 20, 0), ra=(30, 30, 0), lf=(35, 0), rx=20, dip=10, lean=-4, head=-4)),
          (1.5, P(la=(55, 20, 0), ra=(35, 30, 0), lf=(35, 0), rf=(28, 6), rtoe=-15, rx=34)),
          (2, P(la=(50, 20, 0), ra=(40, 30, 0), lf=(35, 0), rf=(28, 10), rx=35, dip=8)),
          (3, P(la=(30, 30, 0), ra=(60, 20, 0), lf=(35, 0), rx=10, dip=10, lean=4, head=4)),
          (3.5, P(la=(35, 30, 0), ra=(55, 20, 0), lf=(8, 6), ltoe=-15, rx=-4)),
          (4, R)],
         hits=[1, 2, 3])


def _hip_hop() -> None:
    loose = (18, 55, -10)
    move("hiphop_bounce", 2, 0.45, ["legs", "full_body"], ["hip_hop", "bouncy"], False,
         "The bounce: wide stance, knees drop on the beat and spring back, arms loose.",
         [(0, WIDE),
          (0.5, wide(la=(14, 35, 0), dip=1)),
          (1, wide(la=loose, dip=16, chest=0), "in"),
          (1.5, wide(la=(14, 35, 0), dip=1), "out"),
          (2, WIDE, "in")],
         hits=[1, 2])
    t = (90, 0, 0)
    move("arm_wave_pop", 4, 0.5, ["arms"], ["hip_hop", "smooth"], True,
         "Popping arm wave: arms out, a wave runs from the left fingertips through the shoulders to the right "
         "fingertips.",
         [(0, R),
          (0.5, P(la=t)),
          (1, P(la=(90, 0, 45), ra=t)),
          (1.5, P(la=(92, 45, -35), ra=t, head=-4)),
          (2, P(la=(105, -5, 0), ra=(85, 0, 0), chest=8, head=-6)),
          (2.5, P(la=(85, 0, 0), ra=(105, -5, 0), chest=-8, head=6)),
          (3, P(la=t, ra=(92, 45, -35), head=4)),
          (3.5, P(la=t, ra=(90, 0, 45))),
          (4, R)],
         hits=[1, 2, 3])
    move("two_step", 4, 0.5, ["legs", "step", "full_body"], ["hip_hop", "bouncy"], True,
         "Two-step groove: step left and dip, the right foot taps in, step back right and dip, close; arms "
         "pumping against the feet.",
         [(0, R),
          (1, P(la=(20, 95, 0), ra=(12, 50, 0), lf=(30, 0), rx=20, dip=10, chest=-4, head=-4), "in"),
          (2, P(la=(12, 50, 0), ra=(20, 95, 0), lf=(30, 0), rf=(22, 5), rtoe=-20, rx=30, chest=4), "out"),
          (3, P(la=(12, 50, 0), ra=(20, 95, 0), lf=(30, 0), rx=8, dip=10, chest=4, head=4), "in"),
          (4, R, "out")],
         hits=[1, 2, 3, 4])
    bent = (15, 80, 0)
    move("shoulder_pop", 2, 0.5, ["arms", "accent"], ["hip_hop", "sharp"], True,
         "Shoulder pops: the left shoulder pops up, then the right, elbows bent, knees soft.",
         [(0, R),
          (0.5, P(la=bent, dip=4)),
          (1, P(la=(28, 85, 10), ra=bent, chest=8, head=-4), "out"),
          (1.25, P(la=bent, dip=4)),
          (1.5, P(la=bent, ra=(28, 85, 10), chest=-8, head=4), "out"),
          (1.75, P(la=bent, dip=4)),
          (2, R)],
         hits=[1, 1.5])
    p1 = dict(la=(62, 118, 0), ra=(22, 135, 0), rx=-8, lean=3, dip=4)
    p2 = dict(la=(45, 95, 0), ra=(5, 115, 0), rx=-4, dip=10)
    p3 = dict(la=(5, 115, 0), ra=(45, 95, 0), rx=8, lean=-3, dip=4)
    p4 = dict(la=(22, 135, 0), ra=(62, 118, 0), rx=4, dip=1)
    move("cabbage_patch", 4, 0.55, ["arms", "full_body"], ["hip_hop", "playful"], True,
         "The cabbage patch: fists circle in front of the chest while the hips circle the other way.",
         [(0, R), (0.5, P(**p1)), (1, P(**p2)), (1.5, P(**p3)), (2, P(**p4)), (2.5, P(**p1)), (3, P(**p2)),
          (3.5, P(**p3)), (4, R)],
         hits=[1, 2, 3])
    move("toprock_step", 4, 0.65, ["legs", "step", "full_body"], ["hip_hop", "sharp"], True,
         "Toprock: the right foot crosses in front with the arms folding in, opens out wide; the left crosses, "
         "opens.",
         [(0, R),
          (0.5, P(la=(60, 40, 10), ra=(60, 40, 10), rf=(30, 16), rx=10)),
          (1, P(la=(-30, 25, 0), ra=(-30, 25, 0), rf=(60, 0), rx=30, dip=8, chest=-4, head=-6), "out"),
          (2, P(la=(80, 30, 20), ra=(80, 30, 20), dip=4), "out"),
          (2.5, P(la=(60, 40, 10), ra=(60, 40, 10), lf=(-30, 16), rx=-10)),
          (3, P(la=(-30, 25, 0), ra=(-30, 25, 0), lf=(-60, 0), rx=-30, dip=8, chest=4, head=6), "out"),
          (4, R)],
         hits=[1, 2, 3])
    freeze = P(la=(140, 0, 0), ra=(150, 138, 10), lf=(45, 0), rf=(-45, 0), dip=30, head=-8, chest=-3)
    move("hit_freeze", 2, 0.8, ["full_body", "accent", "hold"], ["hip_hop", "sharp"], True,
         "Hop out into a low wide stance and freeze: the left arm points up and out, the right hand by the "
         "head.",
         [(0, R),
          (0.5, P(la=(-25, 20, 0), dip=12)),
          (1, freeze, "out"),
          (1.75, freeze),
          (2, R)],
         hits=[1])
    move("hiphop_groove", 8, 0.6, ["arms", "legs", "full_body"], ["hip_hop", "bouncy"], True,
         "A two-bar groove: bounce, shoulder pops, step out with the arms swinging, tap, step back into a "
         "point.",
         [(0, R),
          (1, P(la=(15, 70, 0), dip=12), "in"),
          (2, P(la=(28, 85, 10), ra=(15, 70, 0), chest=8, head=-4), "out"),
          (3, P(la=(15, 70, 0), ra=(28, 85, 10), chest=-8, head=4, dip=12), "in"),
          (4, P(la=(15, 50, 0)), "out"),
          (5, P(la=(60, 95, 0), ra=(-20, 40, 0), lf=(35, 0), rx=18, dip=10, head=-4), "in"),
          (6, P(la=(-20, 40, 0), ra=(60, 95, 0), lf=(35, 0), rf=(28, 5), rtoe=-20, rx=30, head=4), "out"),
          (7, P(la=(140, 0, 0), ra=(20, 90, 0), lf=(35, 0), rx=8, dip=6, head=-8), "out"),
          (7.5, P(la=(140, 0, 0), ra=(20, 90, 0), lf=(35, 0), rx=8, dip=6, head=-8)),
          (8, R)],
         hits=[1, 2, 3, 5, 6, 7])


def _kids() -> None:
    move("clap_pattern", 4, 0.4, ["arms", "clap"], ["kids", "playful"], False,
         "Pat-a-cake: pat the thighs, clap in front, clap overhead.",
         [(0, R),
          (0.5, P(la=OPEN_LOW)),
          (1, P(la=(8, 0, 30), dip=14), "in"),
          (1.5, P(la=OPEN_LOW)),
          (2, P(la=CLAP_LOW, dip=4), "in"),
          (2.5, P(la=(150, 40, 0))),
          (3, P(la=CLAP_HIGH), "in"),
          (3.5, P(la=(60, 20, 0))),
          (4, R)],
         hits=[1, 2, 3])
    move("jumping_jack", 2, 0.8, ["jump", "full_body"], ["kids", "bouncy"], False,
         "Jumping jack: jump the feet apart with a clap overhead, jump them back together.",
         [(0, R),
          (0.25, P(la=(4, 10, 0), dip=10)),
          (0.5, P(la=(110, 10, 0), ll=(14, 0, -10), rl=(14, 0, -10), ry=20)),
          (0.75, P(la=(165, 20, -10), lf=(40, 0), rf=(-40, 0), dip=10), "in"),
          (1, P(la=CLAP_HIGH, lf=(40, 0), rf=(-40, 0), dip=2), "out"),
          (1.25, P(la=(150, 20, 0), lf=(40, 0), rf=(-40, 0), dip=10)),
          (1.5, P(la=(100, 10, 0), ll=(6, 0, -10), rl=(6, 0, -10), ry=20)),
          (1.75, P(la=(20, 15, 0), dip=10), "in"),
          (2, R, "out")],
         hits=[1])
    move("bunny_hop", 2, 0.65, ["jump", "legs"], ["kids", "bouncy", "playful"], False,
         "Bunny hop: paws up, crouch, hop with the knees tucked, land soft.",
         [(0, R),
          (0.5, P(la=PAWS, dip=16)),
          (1, P(la=PAWS, ll=(22, -45, -10), rl=(22, -45, -10), ry=24), "out"),
          (1.5, P(la=PAWS, dip=16), "in"),
          (2, R, "out")],
         hits=[1, 1.5])
    swing_out, swing_in = (28, 0, 0), (-14, 0, 0)
    move("toy_soldier", 4, 0.45, ["arms", "legs", "step"], ["kids", "playful", "sharp"], True,
         "Toy soldier march: knees high, arms stiff and straight, swinging like a wind-up toy.",
         [(0, R),
          (0.5, P(la=swing_out, ra=swing_in, ll=(50, -90, 20), rx=-6), "out"),
          (1, P(la=(3, 0, 0)), "in"),
          (1.5, P(la=swing_in, ra=swing_out, rl=(50, -90, 20), rx=6), "out"),
          (2, P(la=(3, 0, 0)), "in"),
          (2.5, P(la=swing_out, ra=swing_in, ll=(50, -90, 20), rx=-6), "out"),
          (3, P(la=(3, 0, 0)), "in"),
          (3.5, P(la=swing_in, ra=swing_out, rl=(50, -90, 20), rx=6), "out"),
          (4, R, "in")],
         hits=[1, 2, 3, 4])
    move("rainbow_arms", 4, 0.3, ["arms", "calm"], ["kids", "smooth"], True,
         "Rainbow: both arms draw an arc over the head from one side to the other, the body leaning along.",
         [(0, R),
          (1, P(la=(115, 10, 10), ra=(185, 10, 0), lean=-5, spine=-5, rx=4, head=-4)),
          (2, P(la=(168, 10, 0), ra=(168, 10, 0))),
          (3, P(la=(185, 10, 0), ra=(115, 10, 10), lean=5, spine=5, rx=-4, head=4)),
          (4, R)])
    head = (150, 140, 10)
    shoulders = (45, 150, 55)
    knees = dict(la=(2, 0, 10), dip=30)
    toes = dict(la=(-4, 0, 10), dip=60)
    move("head_shoulders_knees", 8, 0.45, ["arms", "full_body"], ["kids", "playful"], False,
         "Head, shoulders, knees and toes, knees and toes: hands on the head, the shoulders, down to the "
         "knees, squat to the toes; and up to the head again.",
         [(0, R),
          (1, P(la=head)),
          (2, P(la=shoulders)),
          (3, P(**knees)),
          (4, P(**toes)),
          (5, P(**knees)),
          (6, P(**toes)),
          (7, P(la=head)),
          (8, R)],
         hits=[1, 2, 3, 4, 5, 6, 7])
    wig = dict(la=(30, 35, 40), dip=6)
    move("wiggle", 2, 0.6, ["full_body"], ["kids", "playful", "bouncy"], True,
         "Wiggle: the hips shake from side to side, the hands shaking low.",
         [(0, R)] + [(b, P(**wig, rx=14 * sgn, lean=9 * sgn, spine=-4 * sgn, chest=-8 * sgn))
                     for b, sgn in ((0.25, 1), (0.5, -1), (0.75, 1), (1, -1), (1.25, 1), (1.5, -1), (1.75, 1))]
         + [(2, R)],
         hits=[1])
    wing = (90, 0, 0)
    move("airplane", 4, 0.45, ["arms", "full_body"], ["kids", "playful"], True,
         "Airplane: arms out like wings, banking to one side and the other.",
         [(0, R),
          (0.5, P(la=wing)),
          (1, P(la=wing, lean=-8, spine=-8, chest=-4, rx=-4, head=4)),
          (2, P(la=wing, lean=8, spine=8, chest=4, rx=4, head=-4)),
          (3, P(la=wing, lean=-8, spine=-8, chest=-4, rx=-4, head=4)),
          (3.5, P(la=wing)),
          (4, R)],
         hits=[1, 2, 3])
    move("tiptoe_sneak", 4, 0.3, ["legs", "step"], ["kids", "playful"], True,
         "Cartoon sneak: on tiptoe, knees lifting one at a time, paws up, peeking from side to side.",
         [(0, R),
          (0.5, P(la=PAWS, ll=(35, -70, -30), rx=-6, head=-10, releve=8)),
          (1, P(la=PAWS, releve=8, head=-6)),
          (1.5, P(la=PAWS, rl=(35, -70, -30), rx=6, head=10, releve=8)),
          (2, P(la=PAWS, releve=8, head=6)),
          (2.5, P(la=PAWS, ll=(35, -70, -30), rx=-6, head=-10, releve=8)),
          (3, P(la=PAWS, releve=8, head=-6)),
          (3.5, P(la=PAWS, rl=(35, -70, -30), rx=6, head=10, releve=8)),
          (4, R)],
         hits=[1, 2, 3])
    move("stretch_up", 4, 0.2, ["arms", "calm"], ["kids", "smooth"], True,
         "Reach for the sky on tiptoe, then stretch over to one side and the other.",
         [(0, R),
          (1, P(la=(175, 5, 0), releve=8)),
          (2, P(la=(175, 5, 0), spine=15, chest=10, head=4)),
          (3, P(la=(175, 5, 0), spine=-15, chest=-10, head=-4)),
          (4, R)])
    flip = (15, 0, 70)
    move("penguin_waddle", 4, 0.45, ["legs", "step", "full_body"], ["kids", "playful"], True,
         "Penguin waddle: arms straight down with the hands flipped out, rocking from foot to foot.",
         [(0, R),
          (0.5, P(la=flip, lf=(4, 12), rx=-6, lean=8)),
          (1, P(la=flip), "in"),
          (1.5, P(la=flip, rf=(-4, 12), rx=6, lean=-8)),
          (2, P(la=flip), "in"),
          (2.5, P(la=flip, lf=(4, 12), rx=-6, lean=8)),
          (3, P(la=flip), "in"),
          (3.5, P(la=flip, rf=(-4, 12), rx=6, lean=-8)),
          (4, R, "in")],
         hits=[1, 2, 3, 4])
    move("pat_clap", 2, 0.4, ["arms", "clap"], ["kids", "bouncy"], False,
         "Pat the knees with a dip on the beat, clap on the and.",
         [(0, R),
          (0.5, P(la=OPEN_LOW)),
          (1, P(la=(4, 0, 30), dip=18), "in"),
          (1.5, P(la=CLAP_LOW, dip=4), "in"),
          (2, R)],
         hits=[1, 1.5])


def _smooth() -> None:
    move("arm_flow", 8, 0.2, ["arms", "calm"], ["smooth", "elegant"], True,
         "Seaweed arms: the arms float up and down one after the other, wrists leading, the body swaying.",
         [(0, R),
          (1, P(la=(60, 20, -40), ra=(10, 15, 0), rx=3, lean=-2)),
          (2, P(la=(130, 30, 30), ra=(45, 20, -40), rx=5, lean=-3, head=-4)),
          (3, P(la=(160, 40, 20), ra=(100, 25, -35), rx=2, head=-6)),
          (4, P(la=(100, 10, -40), ra=(150, 40, 25), rx=-3, lean=2, head=2)),
          (5, P(la=(45, 15, -30), ra=(125, 20, -40), rx=-5, lean=3, head=5)),
          (6, P(la=(70, 25, -35), ra=(70, 15, 30), rx=-2, head=2)),
          (7, P(la=(30, 20, -25), ra=(30, 20, -25))),
          (8, R)])
    move("side_glide", 4, 0.4, ["legs", "step", "travel"], ["smooth", "hip_hop"], True,
         "The side glide: one foot slides flat while the other rolls onto its toes, travelling left, then "
         "gliding back.",
         [(0, R),
          (1, P(la=(30, 40, 0), ra=(20, 60, 0), lf=(24, 0), rf=(0, 6), rtoe=-25, rx=12), "linear"),
          (2, P(la=(20, 60, 0), ra=(30, 40, 0), lf=(24, 6), ltoe=-25, rf=(30, 0), rx=28), "linear"),
          (3, P(la=(30, 40, 0), ra=(20, 60, 0), lf=(0, 0), rf=(30, 6), rtoe=-25, rx=14), "linear"),
          (4, R, "linear")],
         hits=[1, 2, 3])
    move("ocean_wave", 4, 0.3, ["arms", "full_body", "calm"], ["smooth", "elegant"], True,
         "Ocean wave: the arms rise and fall like a seesaw with soft wrists, the body swaying under them.",
         [(0, R),
          (1, P(la=(110, 20, -30), ra=(60, 10, 30), lean=-5, rx=6, head=-4)),
          (2, P(la=(60, 10, 30), ra=(110, 20, -30), lean=5, rx=-6, head=4)),
          (3, P(la=(110, 20, -30), ra=(60, 10, 30), lean=-5, rx=6, head=-4)),
          (4, R)],
         hits=[1, 2, 3])
    hands = (30, 60, 20)
    right = dict(la=hands, rx=10, lean=5, spine=-4, dip=4)
    down = dict(la=hands, dip=10)
    left = dict(la=hands, rx=-10, lean=-5, spine=4, dip=4)
    up = dict(la=hands, dip=0)
    move("hip_circle", 4, 0.35, ["full_body", "calm"], ["smooth", "jazz"], True,
         "Hip circles in a wide stance: right, down, left, up, twice round.",
         [(0, WIDE), (0.5, wide(**right)), (1, wide(**down)), (1.5, wide(**left)), (2, wide(**up)),
          (2.5, wide(**right)), (3, wide(**down)), (3.5, wide(**left)), (4, WIDE)],
         hits=[1, 3])
    move("flow_step", 4, 0.3, ["legs", "step", "calm"], ["smooth", "elegant"], True,
         "Soft step-touch: step out and sink with the arms flowing after, the right foot touches, step back "
         "and close.",
         [(0, R),
          (1, P(la=(50, 30, -20), ra=(20, 30, 10), lf=(30, 0), rx=22, dip=6, lean=-3, head=-4)),
          (2, P(la=(40, 40, 10), ra=(30, 35, -20), lf=(30, 0), rf=(24, 4), rtoe=-20, rx=28, head=-2)),
          (3, P(la=(20, 30, 10), ra=(50, 30, -20), lf=(30, 0), rx=6, dip=6, lean=3, head=4)),
          (4, R)],
         hits=[1, 2, 3])
    move("melt_down", 8, 0.2, ["legs", "full_body", "calm"], ["smooth"], True,
         "Melt: the head drops, the arms droop, the body sinks low with the arms floating up, then rises.",
         [(0, R),
          (2, P(la=(15, 30, -30), chest=6, head=12, neck=6)),
          (4, P(la=(60, 60, -40), ra=(40, 50, -40), dip=30, spine=8, chest=6, head=10)),
          (6, P(la=(140, 40, -20), ra=(120, 40, -30), dip=55, spine=-6, head=-8)),
          (7, P(la=(60, 30, -10), dip=20, head=-3)),
          (8, R)])
    move("lighter_sway", 8, 0.15, ["arms", "calm"], ["smooth", "elegant"], True,
         "Ballad sway: one arm raised high, swaying slowly over the head from side to side.",
         [(0, R),
          (1, P(la=(150, 10, 0), ra=(8, 15, 0))),
          (2, P(la=(140, 8, 10), ra=(8, 15, 0), rx=8, lean=-5, head=-4)),
          (4, P(la=(170, 8, -10), ra=(8, 15, 0), rx=-8, lean=5, head=4)),
          (6, P(la=(140, 8, 10), ra=(8, 15, 0), rx=8, lean=-5, head=-4)),
          (7, P(la=(150, 10, 0), ra=(8, 15, 0))),
          (8, R)],
         hits=[2, 4, 6])


def _sharp() -> None:
    move("punch_combo", 2, 0.7, ["arms", "accent"], ["sharp", "hip_hop"], True,
         "Guard up, punch out to the left, back to guard, punch out to the right.",
         [(0, R),
          (0.5, P(la=GUARD, dip=10)),
          (1, P(la=(90, 0, 0), ra=GUARD, dip=10, lean=-4, head=-4), "out"),
          (1.25, P(la=GUARD, dip=10)),
          (1.5, P(la=GUARD, ra=(90, 0, 0), dip=10, lean=4, head=4), "out"),
          (1.75, P(la=GUARD, dip=8)),
          (2, R)],
         hits=[1, 1.5])
    fist = (15, 60, 0)
    move("point_combo", 4, 0.65, ["arms", "accent"], ["sharp", "hip_hop"], True,
         "Point up and out, point down across the body, point straight up; head snapping with each.",
         [(0, R),
          (1, P(la=(135, 0, 0), ra=fist, dip=6, head=-10), "out"),
          (2, P(la=(-40, 0, 0), ra=fist, dip=6, head=10, lean=3), "out"),
          (3, P(la=(175, 0, 0), ra=fist, dip=4, head=-6), "out"),
          (3.5, P(la=(175, 0, 0), ra=fist, dip=4, head=-6)),
          (4, R)],
         hits=[1, 2, 3])
    stop = P(la=(90, 0, 75), ra=(10, 30, 0), dip=6, head=-6)
    move("stop_hit", 2, 0.7, ["arms", "accent", "hold"], ["sharp"], True,
         "Stop! The left hand pulls in, then the arm snaps out with the palm up like a traffic sign; hold.",
         [(0, R),
          (0.5, P(la=(30, 120, -20), ra=(10, 30, 0), dip=3)),
          (1, stop, "out"),
          (1.75, stop),
          (2, R)],
         hits=[1])
    hit = dict(ease="out")
    move("arm_hits_square", 4, 0.6, ["arms", "accent"], ["sharp", "hip_hop"], False,
         "Square arm hits: goalposts, straight out, straight up, each snapped on the beat and held.",
         [(0, R),
          (0.75, R, "linear"),
          (1, P(la=(90, 90, 0)), hit["ease"]),
          (1.75, P(la=(90, 90, 0)), "linear"),
          (2, P(la=(90, 0, 0)), hit["ease"]),
          (2.75, P(la=(90, 0, 0)), "linear"),
          (3, P(la=(175, 0, 0)), hit["ease"]),
          (3.5, P(la=(175, 0, 0)), "linear"),
          (4, R)],
         hits=[1, 2, 3])
    move("stomp", 2, 0.75, ["legs", "step", "accent"], ["sharp", "hip_hop"], True,
         "Knee up high with the arms up, stomp down with the arms punching down.",
         [(0, R),
          (0.5, P(la=(80, 100, 0), ll=(55, -95, 20), rx=-8, lean=3)),
          (1, P(la=(25, 0, 0), dip=14, head=6), "in"),
          (1.5, P(la=(20, 10, 0), dip=8)),
          (2, R)],
         hits=[1])
    snap = P(head=-20, neck=-10, chest=4, dip=4)
    move("head_snap", 2, 0.4, ["accent", "hold"], ["sharp", "hip_hop"], True,
         "The head turns away, then snaps to the other side on the beat and holds.",
         [(0, R),
          (0.5, P(head=8, neck=4, chest=-2)),
          (1, snap, "out"),
          (1.75, snap),
          (2, R)],
         hits=[1])
    lunge = P(la=(120, 0, 0), ra=(45, 0, 0), lf=(120, 0), rx=90, lean=-8, head=-8)
    move("lunge_hold", 4, 0.5, ["legs", "full_body", "accent", "hold"], ["sharp", "elegant"], True,
         "Step far out into a side lunge, arms in one long diagonal line from the back foot to the fingertips; "
         "hold and step back.",
         [(0, R),
          (0.5, P(la=(40, 30, 0), lf=(50, 14), rx=-4)),
          (1, lunge, "out"),
          (3, lunge),
          (3.5, P(la=(40, 30, 0), lf=(50, 14), rx=-4)),
          (4, R)],
         hits=[1])


def _bouncy_playful() -> None:
    move("bounce_clap", 4, 0.5, ["legs", "clap"], ["bouncy", "kids"], False,
         "Bounce down on the and, spring up to clap on the beat.",
         [(0, R)] + [(b + 0.5, P(la=OPEN_LOW, dip=14), "in") if k % 2 == 0 else (b + 0.5, P(la=CLAP_LOW), "out")
                     for k, b in enumerate((0, 0.5, 1, 1.5, 2, 2.5, 3))]
         + [(4, R)],
         hits=[1, 2, 3])
    move("pogo", 2, 0.85, ["jump"], ["bouncy", "playful"], False,
         "Pogo: two stiff straight-legged jumps, arms straight down.",
         [(0, R),
          (0.25, P(la=(10, 5, 0), dip=10)),
          (0.5, P(la=(10, 0, 0), ll=(2, 0, -25), rl=(2, 0, -25), ry=24), "out"),
          (1, P(la=(10, 5, 0), dip=10), "in"),
          (1.5, P(la=(10, 0, 0), ll=(2, 0, -25), rl=(2, 0, -25), ry=24), "out"),
          (1.75, P(la=(10, 5, 0), dip=8), "in"),
          (2, R)],
         hits=[0.5, 1, 1.5])
    move("skip_step", 4, 0.65, ["jump", "legs", "step"], ["bouncy", "kids", "playful"], True,
         "Skipping in place: hop with the left knee up, land, hop with the right knee up; arms swinging.",
         [(0, R),
          (0.5, P(la=(20, 20, 0), ra=(100, 60, 0), ll=(40, -80, 20), rl=(2, 0, -20), ry=10), "out"),
          (1, P(la=(30, 30, 0), dip=10), "in"),
          (1.5, P(la=(100, 60, 0), ra=(20, 20, 0), rl=(40, -80, 20), ll=(2, 0, -20), ry=10), "out"),
          (2, P(la=(30, 30, 0), dip=10), "in"),
          (2.5, P(la=(20, 20, 0), ra=(100, 60, 0), ll=(40, -80, 20), rl=(2, 0, -20), ry=10), "out"),
          (3, P(la=(30, 30, 0), dip=10), "in"),
          (3.5, P(la=(100, 60, 0), ra=(20, 20, 0), rl=(40, -80, 20), ll=(2, 0, -20), ry=10), "out"),
          (4, R, "in")],
         hits=[1, 2, 3, 4])
    tuck = dict(la=(120, 20, 0), ll=(15, -30, -10), rl=(15, -30, -10), ry=22)
    move("side_hop", 4, 0.75, ["jump", "travel"], ["bouncy", "playful"], True,
         "Hop to the left with the feet together, land and stand; hop back.",
         [(0, R),
          (0.25, P(la=(10, 20, 0), dip=12)),
          (0.5, P(**tuck, rx=15), "out"),
          (1, P(la=(40, 20, 0), lf=(30, 0), rf=(30, 0), rx=30, dip=12), "in"),
          (2, P(lf=(30, 0), rf=(30, 0), rx=30)),
          (2.25, P(la=(10, 20, 0), lf=(30, 0), rf=(30, 0), rx=30, dip=12)),
          (2.5, P(**tuck, rx=15), "out"),
          (3, P(la=(40, 20, 0), dip=12), "in"),
          (4, R)],
         hits=[1, 3])
    move("double_dip", 2, 0.4, ["legs"], ["bouncy", "hip_hop"], False,
         "Double-time knee dips: down on the beat and on the and, springing back up between.",
         [(0, R),
          (0.5, P(la=(10, 20, 0), dip=2)),
          (1, P(la=(8, 30, 0), dip=14), "in"),
          (1.25, P(la=(10, 20, 0), dip=3), "out"),
          (1.5, P(la=(8, 30, 0), dip=14), "in"),
          (2, R, "out")],
         hits=[1, 1.5])
    keys = [(0, R)]
    for i in range(1, 16):
        b = i * 0.25
        depth = 40 * (b / 2 if b <= 2 else (4 - b) / 2)
        sgn = 1 if i % 2 else -1
        keys.append((b, P(la=(30, 50, 20), dip=depth + 4, chest=8 * sgn, head=-3 * sgn)))
    keys.append((4, R))
    move("shimmy_down", 4, 0.5, ["arms", "full_body"], ["playful", "jazz"], True,
         "Shoulder shimmy all the way down into a low squat and back up.",
         keys, hits=[2])
    thumb_out, thumb_in, rest = (45, 100, 30), (35, 145, 40), (12, 25, 0)
    move("hitchhike", 4, 0.45, ["arms"], ["playful", "jazz"], True,
         "The hitchhike: the left thumb jerks back over the shoulder three times, hips popping.",
         [(0, R),
          (0.5, P(la=thumb_out, ra=rest, rx=6, lean=-3)),
          (1, P(la=thumb_in, ra=rest, rx=-6, lean=3, head=6), "out"),
          (1.5, P(la=thumb_out, ra=rest, rx=6, lean=-3)),
          (2, P(la=thumb_in, ra=rest, rx=-6, lean=3, head=6), "out"),
          (2.5, P(la=thumb_out, ra=rest, rx=6, lean=-3)),
          (3, P(la=thumb_in, ra=rest, rx=-6, lean=3, head=6), "out"),
          (3.5, P(la=(20, 30, 0), ra=rest)),
          (4, R)],
         hits=[1, 2, 3])
    tick = P(la=(135, 0, 0), ra=(5, 0, 0), head=-15)
    tock = P(la=(5, 0, 0), ra=(135, 0, 0), head=15)
    move("tick_tock", 4, 0.3, ["arms", "accent"], ["playful", "kids", "sharp"], True,
         "Tick-tock: the arms snap up like clock hands, one and then the other, the head ticking along.",
         [(0, R),
          (1, tick, "out"),
          (2, tock, "out"),
          (3, tick, "out"),
          (3.5, tick),
          (4, R)],
         hits=[1, 2, 3])
    move("heel_click", 2, 0.85, ["jump", "accent"], ["playful", "jazz"], True,
         "Crouch and jump, clicking the heels together out to the left in the air, arms flung up.",
         [(0, R),
          (0.5, P(la=(15, 30, 0), dip=16)),
          (1, P(la=(150, 10, 20), ra=(80, 10, 0), ll=(20, 0, -10), rl=(-28, 0, 10), lean=10, ry=30, head=-6),
           "out"),
          (1.5, P(la=(40, 20, 0), dip=16), "in"),
          (2, R, "out")],
         hits=[1])


# ---------------------------------------------------------------------------------------------- writing

_HEAD = ("name", "beats", "energy", "tags", "styles", "mirror", "twin")


def _dumps(x) -> str:
    return json.dumps(x, ensure_ascii=False, separators=(", ", ": "))


def format_library(doc: dict) -> str:
    """The library in the file's layout: one line per move header, field and key."""
    lines = ["{", f'  "schema": {_dumps(doc["schema"])},', f'  "name": {_dumps(doc["name"])},',
             f'  "description": {_dumps(doc["description"])},', '  "poses": {']
    names = list(doc["poses"])
    for i, n in enumerate(names):
        lines.append(f'    {_dumps(n)}: {_dumps(doc["poses"][n])}{"," if i < len(names) - 1 else ""}')
    lines += ["  },", '  "moves": [']
    for i, m in enumerate(doc["moves"]):
        head = ", ".join(f"{_dumps(k)}: {_dumps(m[k])}" for k in _HEAD if k in m)
        rest = [k for k in m if k not in _HEAD and k != "keys"]
        lines += ["    {", f"      {head},"]
        lines += [f"      {_dumps(k)}: {_dumps(m[k])}," for k in rest]
        lines.append('      "keys": [')
        for j, k in enumerate(m["keys"]):
            lines.append(f"        {_dumps(k)}{',' if j < len(m['keys']) - 1 else ''}")
        lines += ["      ]", "    }" + ("," if i < len(doc["moves"]) - 1 else "")]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def build(doc: dict) -> dict:
    """The library document with the hand-written moves' styles set and the generated moves (re)placed."""
    gen_names = {g.name for g in GENERATED}
    assert len(gen_names) == len(GENERATED), "duplicate generated move name"
    moves = []
    for m in doc["moves"]:
        if m["name"] in gen_names:
            continue
        if m["name"] not in HAND_WRITTEN_STYLES:  # generated by an earlier version of this script
            print(f"dropping {m['name']!r}: neither hand-written (HAND_WRITTEN_STYLES) nor generated any more")
            continue
        m = dict(m)
        m["styles"] = HAND_WRITTEN_STYLES[m["name"]]
        moves.append({k: m[k] for k in (*_HEAD, *[k for k in m if k not in _HEAD]) if k in m})
    for g in GENERATED:
        _check(g, doc)
        moves.append(generated_json(g))
    out = dict(doc)
    out["moves"] = moves
    return out


def main() -> None:
    """Rewrite the library, validate it with the real loader, and print a summary."""
    define_moves()
    doc = json.loads(LIBRARY.read_text(encoding="utf-8"))
    new = build(doc)
    lib = moves_from_dict(new, path=str(LIBRARY))
    LIBRARY.write_text(format_library(new), encoding="utf-8")
    print(f"wrote {LIBRARY.relative_to(ROOT)}: {len(lib)} moves ({len(GENERATED)} generated), "
          f"{len(lib.with_mirrors())} with mirror images")


if __name__ == "__main__":
    main()
