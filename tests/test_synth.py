import mido
import numpy as np
import pytest

from tests.material.synth import SongSpec, synthesize, write_midi

SHORT = (("intro", 2), ("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 4), ("outro", 2))


@pytest.fixture(scope="module")
def song():
    return synthesize(SongSpec(form=SHORT, bpm=120.0, seed=3, lead_in_s=0.25))


def _midi_beats_s(path, n_pickup, beats_per_bar, compound):
    """Beat times from a MIDI file: its tempo map, the first section marker (= first downbeat), the meter."""
    mid = mido.MidiFile(path)
    tempos, markers, ts = [], [], None
    now = 0
    for msg in mid.tracks[0]:
        now += msg.time
        if msg.type == "set_tempo":
            tempos.append((now, msg.tempo))
        elif msg.type == "marker":
            markers.append((now, msg.text))
        elif msg.type == "time_signature":
            ts = msg
    q_per_beat = 1.5 if compound else 1.0
    tpbeat = int(mid.ticks_per_beat * q_per_beat)
    assert ts.numerator == (3 * beats_per_bar if compound else beats_per_bar)

    def tick_to_s(tick):
        t_s, prev_tick, prev_tempo = 0.0, 0, 500000
        for t, tempo in tempos:
            if t >= tick:
                break
            t_s += (t - prev_tick) * prev_tempo / 1e6 / mid.ticks_per_beat
            prev_tick, prev_tempo = t, tempo
        return t_s + (tick - prev_tick) * prev_tempo / 1e6 / mid.ticks_per_beat

    return tick_to_s, markers, tpbeat, mid


def _check_midi_beats(song, path, offset_s):
    spec = song.spec
    tick_to_s, markers, tpbeat, _ = _midi_beats_s(path, spec.pickup_beats, spec.beats_per_bar, spec.subdivision == 3)
    first_downbeat_tick = markers[0][0]
    ticks = first_downbeat_tick + (np.arange(len(song.beats_s)) - spec.pickup_beats) * tpbeat
    midi_beats_s = np.array([tick_to_s(t) for t in ticks])
    np.testing.assert_allclose(midi_beats_s + offset_s, song.beats_s, atol=1e-3)
    assert [text for _, text in markers] == list(song.section_kinds)
    marker_s = np.array([tick_to_s(t) for t, _ in markers])
    np.testing.assert_allclose(marker_s + offset_s, song.boundaries_s[:-1], atol=1e-3)


def test_constant_tempo_grid(song):
    assert song.beats_s[0] == pytest.approx(0.25)
    np.testing.assert_allclose(np.diff(song.beats_s), 0.5, atol=1e-9)
    n_bars = sum(n for _, n in SHORT)
    assert len(song.beats_s) == 4 * n_bars
    assert song.boundaries_s[-1] == pytest.approx(song.beats_s[-1] + 0.5)
    assert song.duration_s > song.boundaries_s[-1]
    assert song.y.dtype == np.float32 and song.y.ndim == 1
    assert np.max(np.abs(song.y)) == pytest.approx(0.9, abs=1e-3)
    assert np.max(np.abs(song.y[: int(0.2 * song.sr)])) < 1e-3  # near-silent lead-in
    assert song.time_signature == "4/4"


def test_downbeats_and_sections(song):
    np.testing.assert_array_equal(song.beat_in_bar, np.tile([1, 2, 3, 4], len(song.beats_s) // 4))
    np.testing.assert_array_equal(song.downbeats_s, song.beats_s[::4])
    starts = np.cumsum([0] + [n for _, n in SHORT])
    np.testing.assert_allclose(song.boundaries_s[:-1], song.downbeats_s[starts[:-1]])
    assert song.section_kinds == ("intro", "verse", "chorus", "verse", "chorus", "outro")
    assert song.section_labels == ("A", "B", "C", "B", "C", "D")


def test_onsets_sorted_unique_and_on_downbeats(song):
    assert np.all(np.diff(song.onsets_s) > 1e-3)
    dist = np.min(np.abs(song.onsets_s[None, :] - song.downbeats_s[:, None]), axis=1)
    assert np.all(dist < 1e-6)


def test_repeats_share_material_and_chorus_is_loudest(song):
    def material(i):
        a, b = song.boundaries_s[i], song.boundaries_s[i + 1]
        first = np.searchsorted(song.beats_s, a - 1e-9)
        last = np.searchsorted(song.beats_s, b - 1e-9)
        return {(n.track, round(n.start_beat - first, 6), n.pitch) for n in song.notes if first <= n.start_beat < last}

    assert material(1) == material(3)  # verse, verse
    assert material(2) == material(4)  # chorus, chorus
    assert material(1) != material(2)

    def rms(i):
        a, b = (int(t * song.sr) for t in song.boundaries_s[i : i + 2])
        return float(np.sqrt(np.mean(song.y[a:b] ** 2)))

    assert rms(2) > rms(1) > rms(0)
    assert rms(2) > rms(5)


def test_tempo_ramp_reaches_target():
    s = synthesize(SongSpec(form=(("verse", 8),), bpm=90.0, bpm_end=130.0))
    assert s.tempo_bpm[0] == 90.0 and s.tempo_bpm[-1] == pytest.approx(130.0)
    last_interval_s = s.boundaries_s[-1] - s.beats_s[-1]
    assert 60.0 / last_interval_s == pytest.approx(130.0, rel=0.01)
    assert 60.0 / (s.beats_s[-1] - s.beats_s[-2]) == pytest.approx(130.0, rel=0.01)
    assert 60.0 / (s.beats_s[1] - s.beats_s[0]) == pytest.approx(90.0, rel=1e-9)
    assert np.all(np.diff(s.beats_s, 2) < 0)  # accelerating


@pytest.mark.parametrize(("bpb", "pickup", "expected"), [(4, 1, [4]), (4, 3, [2, 3, 4]), (3, 2, [2, 3])])
def test_pickup_beats_are_numbered_backwards(bpb, pickup, expected):
    s = synthesize(SongSpec(form=(("verse", 2),), beats_per_bar=bpb, pickup_beats=pickup))
    assert list(s.beat_in_bar[:pickup]) == expected
    assert s.beat_in_bar[pickup] == 1
    assert list(s.bar_of_beat[: pickup + 1]) == [0] * pickup + [1]
    assert s.downbeats_s[0] == s.beats_s[pickup] == s.boundaries_s[0]
    assert len(s.downbeats_s) == 2
    assert s.midi_origin_s == pytest.approx(s.downbeats_s[0] - bpb * 0.5)


def test_deterministic_for_a_seed():
    spec = SongSpec(form=(("verse", 2), ("chorus", 2)), swing=0.15, syncopation=True, seed=11)
    a, b = synthesize(spec), synthesize(spec)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.onsets_s, b.onsets_s)
    c = synthesize(SongSpec(form=spec.form, swing=0.15, syncopation=True, seed=12))
    assert not np.array_equal(a.y[: len(c.y)], c.y[: len(a.y)])


def test_numbered_kinds_get_their_own_material():
    s = synthesize(SongSpec(form=(("other1", 2), ("other2", 2), ("other1", 2), ("bridge", 2))))
    assert s.section_kinds == ("other", "other", "other", "bridge")
    assert s.section_labels == ("A", "B", "A", "C")


def test_compound_meter_and_swing():
    s = synthesize(SongSpec(form=(("verse", 4),), beats_per_bar=2, subdivision=3, bpm=60.0))
    assert s.time_signature == "6/8"
    np.testing.assert_array_equal(s.beat_in_bar, np.tile([1, 2], 4))
    # Hats on the triplet grid: onsets at thirds of the beat.
    frac = (s.onsets_s - s.beats_s[0]) % 1.0
    assert np.any(np.abs(frac - 1 / 3) < 1e-6) and np.any(np.abs(frac - 2 / 3) < 1e-6)

    sw = synthesize(SongSpec(form=(("verse", 2),), bpm=60.0, swing=0.2))
    frac = sw.onsets_s % 1.0
    assert np.any(np.abs(frac - 0.7) < 1e-6)  # swung off-beat eighths
    assert not np.any(np.abs(frac - 0.5) < 1e-6)
    np.testing.assert_allclose(np.diff(sw.beats_s), 1.0)  # beats stay on the grid


@pytest.mark.parametrize(
    "bad",
    [
        {"form": (("hook", 4),)},
        {"form": ()},
        {"beats_per_bar": 5},
        {"subdivision": 4},
        {"swing": 0.5},
        {"pickup_beats": 4},
        {"bpm": 10.0},
    ],
)
def test_invalid_specs_are_rejected(bad):
    with pytest.raises(ValueError):
        synthesize(SongSpec(**bad))


def test_midi_roundtrip_constant_tempo(song, tmp_path):
    path = tmp_path / "a.mid"
    write_midi(song, path)  # offset 0: MIDI clock == audio clock (0.25 s lead-in becomes a padding bar)
    _check_midi_beats(song, path, 0.0)
    write_midi(song, path, offset_s=song.midi_origin_s)  # MIDI time 0 at the first downbeat
    _check_midi_beats(song, path, song.midi_origin_s)
    tempos = [m for m in mido.MidiFile(path).tracks[0] if m.type == "set_tempo"]
    assert len(tempos) == 1 and tempos[0].tempo == 500000
    write_midi(song, path, offset_s=-1.3)  # MIDI events 1.3 s later than the audio's
    _check_midi_beats(song, path, -1.3)
    with pytest.raises(ValueError, match="midi_origin_s"):
        write_midi(song, path, offset_s=song.midi_origin_s + 0.1)


def test_midi_notes_match_the_synthesized_ones(song, tmp_path):
    path = tmp_path / "n.mid"
    write_midi(song, path, offset_s=song.midi_origin_s)
    mid = mido.MidiFile(path)
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks]
    assert names == ["conductor", "bass", "chords", "melody", "drums"]
    n_on = sum(1 for t in mid.tracks for m in t if m.type == "note_on")
    assert n_on == len(song.notes)
    drum_channels = {m.channel for m in mid.tracks[4] if m.type == "note_on"}
    assert drum_channels == {9}


def test_midi_roundtrip_ramp_with_pickup(tmp_path):
    s = synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=100.0, bpm_end=140.0, pickup_beats=1))
    path = tmp_path / "r.mid"
    write_midi(s, path, offset_s=s.midi_origin_s)
    tempos = [m for m in mido.MidiFile(path).tracks[0] if m.type == "set_tempo"]
    assert len(tempos) == len(s.beats_s)  # one per beat
    _check_midi_beats(s, path, s.midi_origin_s)
    write_midi(s, path, offset_s=s.midi_origin_s - 0.7)  # a 0.7 s empty padding bar before the song
    _check_midi_beats(s, path, s.midi_origin_s - 0.7)


def test_midi_roundtrip_six_eight(tmp_path):
    s = synthesize(
        SongSpec(form=(("verse", 4), ("chorus", 4)), beats_per_bar=2, subdivision=3, bpm=66.0, lead_in_s=1.0)
    )
    path = tmp_path / "c.mid"
    write_midi(s, path, offset_s=0.2)
    _check_midi_beats(s, path, 0.2)
    mid = mido.MidiFile(path)
    ts = [m for m in mid.tracks[0] if m.type == "time_signature"]
    assert len(ts) == 1 and (ts[0].numerator, ts[0].denominator) == (6, 8)
    tempos = [m.tempo for m in mid.tracks[0] if m.type == "set_tempo"]
    # The MIDI quarter is 2/3 of the dotted-quarter beat.
    assert tempos[-1] == round(60.0 / 66.0 * 1e6 * 2 / 3)


def test_midi_tempo_scale_breaks_the_match(song, tmp_path):
    path = tmp_path / "s.mid"
    write_midi(song, path, offset_s=song.midi_origin_s, tempo_scale=1.1)
    tick_to_s, markers, tpbeat, _ = _midi_beats_s(path, 0, 4, False)
    last_beat_s = tick_to_s(markers[0][0] + (len(song.beats_s) - 1) * tpbeat) + song.midi_origin_s
    assert abs(last_beat_s - song.beats_s[-1]) > 1.0
