"""Options of the choreography stage, importable without numpy (the CLI reads the defaults for --help)."""

from __future__ import annotations

from dataclasses import dataclass, field

from audio.params import LipsyncParams

ENSEMBLES = ("unison", "mirror", "canon", "independent")


@dataclass(frozen=True)
class PlanParams:
    """Weights of the move cost model (defaults in one place; the CLI reads them).

    Attributes
    ----------
    energy_weight : float
        Cost per unit of |move energy - music energy| per beat.
    accent_weight : float
        Bonus for an accent move starting on a strong onset (and cost when it does not).
    hold_weight : float
        Bonus for a hold move on a sustained note.
    sing_calm : float
        Extra cost per unit of move energy while the character sings.
    phrase_weight : float
        Cost of a move of a bar or longer starting off a phrase start (twice that off a downbeat).
    metric_weight : float
        Cost of a move shorter than a bar starting off its place in the bar (a 2-beat move on beat 2 of a
        4/4 bar); half of ``phrase_weight``, as a half bar is half a bar in the metric hierarchy.
    cadence_weight : float
        Bonus for an accent or hold move starting in a phrase's last bar: phrases end on a hit or a hold.
        It must outweigh what ``beat_weight`` gives a move that rests on every beat over a hold across a
        bar (0.3 did before the beat fit: on the real songs, phrase-end hits fell from 0.92 to 0.81 with
        it and are 0.96 at 0.5).
    style_weight : float
        Bonus per beat for a move whose styles fit the music (and the artist's ``style`` hint) fully.
    beat_weight : float
        Bonus per beat for a move that, danced at the song's tempo, comes to rest on every beat (its beat
        alignment alone, :func:`choreography.quality.move_beat_fit`). Half of ``style_weight``: on the real
        songs it lifts the dances' beat alignment score from 0.50 to 0.66 while their energy still follows
        the music's (correlation 0.52 or more).
    transition_weight : float
        Cost per degree of pose distance between one move's exit and the next move's entry.
    repeat_penalty : float
        Cost of a move following itself or its own mirror image.
    build_final : float
        Energy added to the music's in the last section labelled like the loudest repeated section.
    share_cap : float
        Most of a section's beats one move (with its mirror image) may fill; a section shorter than
        ``min_cap_bars / share_cap`` bars lets a move fill ``min_cap_bars`` bars of it.
    min_cap_bars : int
        See ``share_cap``.
    variety_step : float
        Step of the dual ascent that enforces ``share_cap`` (cost per beat added per unit of excess share).
    variety_passes : int
        Most decoding passes of that ascent.
    """

    energy_weight: float = 2.0
    accent_weight: float = 0.8
    hold_weight: float = 0.6
    sing_calm: float = 0.8
    phrase_weight: float = 0.6
    metric_weight: float = 0.3
    cadence_weight: float = 0.5
    style_weight: float = 0.4
    beat_weight: float = 0.2
    transition_weight: float = 0.004
    repeat_penalty: float = 1.2
    build_final: float = 0.15
    share_cap: float = 0.15
    min_cap_bars: int = 2
    variety_step: float = 2.0
    variety_passes: int = 10



@dataclass(frozen=True)
class SolveParams:
    """Options of the choreography stage (defaults in one place; the CLI reads them).

    Attributes
    ----------
    fps : str
        Project frame rate, rational.
    seed : int
        Seed of every random choice (which repeated moves vary).
    variation : float
        Share (0..1) of a repeated section's moves that may differ from its first occurrence.
    mirror_repeats : bool
        Dance repeated sections mirrored (where a move has a mirror image).
    ensemble : str
        How several characters dance together: "unison" (the first character's moves for all), "mirror"
        (every other character mirrored), "canon" (followers start ``canon_beats`` later, each one more) or
        "independent" (each decoded on its own, with its own pins and singing).
    canon_beats : int
        Offset between canon voices, in beats.
    spacing_px : float
        Distance between characters standing in a line (the formation), centred on the stage.
    style : str
        The artist's style hint: comma-separated styles (see :data:`choreography.moves.STYLES`) the dance
        should lean to, e.g. "smooth,elegant"; empty: the styles the music's character suggests.
    half_time_above_bpm : float
        Above this tempo the dance counts every other beat (moves twice as long in time, as a dancer
        dances a fast song); canon offsets and move lengths are then in those counts.
    plan : PlanParams
        Weights of the cost model.
    """

    fps: str = LipsyncParams.fps
    seed: int = 0
    variation: float = 0.0
    mirror_repeats: bool = False
    ensemble: str = "unison"
    canon_beats: int = 2
    spacing_px: float = 420.0
    half_time_above_bpm: float = 150.0
    style: str = ""
    plan: PlanParams = field(default_factory=PlanParams)
