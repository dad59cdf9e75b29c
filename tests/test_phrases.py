"""Sung phrases from voice activity, and the lyric-line to phrase mapping (audio.phrases)."""

from __future__ import annotations

import numpy as np

from audio.phrases import _start_costs, assign_lines, vocal_phrases


def _activity(spans_s, duration_s, fr=50.0):
    a = np.zeros(int(duration_s * fr))
    for s, e in spans_s:
        a[int(s * fr): int(e * fr)] = 1.0
    return a


def test_phrases_split_at_pauses_and_drop_clicks():
    act = _activity([(1.0, 3.0), (3.1, 4.0), (5.0, 7.0), (8.0, 8.1)], 10.0)
    ph = vocal_phrases(act, 50.0)
    # The 0.1 s gap is inside a phrase, the 1 s gap separates two; the 0.1 s click is dropped.
    np.testing.assert_allclose(ph, [[1.0, 4.0], [5.0, 7.0]])
    assert vocal_phrases(np.zeros(100), 50.0).shape == (0, 2)


def test_lines_map_one_to_one_when_durations_agree():
    groups = assign_lines([8, 4, 8, 4], np.array([2.0, 1.0, 2.0, 1.0]), np.array([0.5, 0.5, 0.5]))
    assert groups == [(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 3), (3, 4, 3, 4)]


def test_a_breath_inside_a_line_and_two_lines_in_one_phrase():
    # Line 0 (8 syllables) is sung over two phrases with a short breath; lines 1 and 2 run together.
    groups = assign_lines([8, 4, 4, 8], np.array([1.0, 1.0, 2.0, 2.0]), np.array([0.15, 0.8, 0.8]))
    assert groups == [(0, 1, 0, 2), (1, 3, 2, 3), (3, 4, 3, 4)]


def test_a_phrase_without_lyrics_is_skipped():
    # A short ad-lib between two sung lines carries no lyric.
    groups = assign_lines([8, 8], np.array([2.0, 0.3, 2.0]), np.array([0.8, 0.8]))
    assert groups == [(0, 1, 0, 1), (1, 2, 2, 3)]


def test_impossible_mappings():
    assert assign_lines([], np.array([1.0]), np.zeros(0)) is None
    assert assign_lines([4], np.zeros(0), np.zeros(0)) is None
    assert assign_lines([4] * 9, np.array([1.0, 1.0]), np.array([0.5])) is None  # more than 4 lines a phrase


def test_the_reference_rate_follows_a_change_of_pace():
    # A fast section (12 syllables in 3.5 s a line), then a slow one: a 10-syllable line in one phrase and a
    # 5-syllable line over two phrases (a breath). Against the song's mean rate the slow lines look too slow
    # and the breath is put in the wrong line; against the local rate (pass 2) each line gets its phrases.
    syl = [12] * 6 + [10, 5] * 3
    sung = np.array([3.5] * 6 + [4.66, 1.94, 1.7] * 3)
    gaps = np.array([0.5] * 5 + [0.5, 0.18, 0.16] + [0.6, 0.18, 0.16] * 2)
    groups = assign_lines(syl, sung, gaps)
    assert [(int(a), int(b), int(c), int(d)) for a, b, c, d in groups[6:]] == [
        (6, 7, 6, 7), (7, 8, 7, 9), (8, 9, 9, 10), (9, 10, 10, 12), (10, 11, 12, 13), (11, 12, 13, 15)]


def test_anchors_choose_between_mappings_the_durations_leave_open():
    """Three lines over four phrases, the second phrase either the end of line 0 (a breath inside it) or the start
    of line 1: durations alone take the second; where another alignment starts line 1 at the third phrase (4 s)
    the mapping follows it, and an anchor that agrees with the durations, or one lost far away, changes nothing."""
    syl, sung, gaps = [6, 10, 8], np.array([1.5, 1.5, 2.5, 2.0]), np.array([0.5, 0.5, 1.0])
    starts = np.array([0.0, 2.0, 4.0, 7.5])
    by_durations = [(0, 1, 0, 1), (1, 2, 1, 3), (2, 3, 3, 4)]
    assert assign_lines(syl, sung, gaps) == by_durations
    assert assign_lines(syl, sung, gaps, anchors=(np.array([0.1, 3.9, 7.4]), starts)) == [
        (0, 1, 0, 2), (1, 2, 2, 3), (2, 3, 3, 4)]
    assert assign_lines(syl, sung, gaps, anchors=(np.array([0.1, 2.1, 7.4]), starts)) == by_durations
    assert assign_lines(syl, sung, gaps, anchors=(np.array([0.1, 13.9, 17.4]), starts)) == by_durations


def test_stanzas_draw_the_long_pauses():
    """Three equal lines over four equal phrases, a 3 s break between the second and third phrases: one line takes
    two phrases, the first or the last (the break inside a line costs far more), and durations cannot tell
    which. Where the lyrics start a stanza at line 1, line 1 starts after the break; at line 2, line 2 does."""
    syl, sung, gaps = [4, 4, 4], np.ones(4), np.array([0.3, 3.0, 0.3])
    first, last = [(0, 1, 0, 2), (1, 2, 2, 3), (2, 3, 3, 4)], [(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 4)]
    assert assign_lines(syl, sung, gaps, stanzas=np.array([False, True, False])) == first
    assert assign_lines(syl, sung, gaps, stanzas=np.array([False, False, True])) == last
    assert assign_lines(syl, sung, gaps) in (first, last)  # so one of the two is the stanzas' doing
    # no stanza flagged past the first line, or every line (lyrics with a blank line after each): they say nothing
    none = _start_costs(3, 4, gaps, None, None)
    for flags in ([True, False, False], [False, True, True]):
        for got, want in zip(_start_costs(3, 4, gaps, None, np.array(flags)), none, strict=True):
            np.testing.assert_array_equal(got, want)
    assert np.any(_start_costs(3, 4, gaps, None, np.array([False, True, False]))[0] != none[0])


def test_a_stanza_sung_in_one_phrase_stays_one_group():
    """On a full mix the band can hide every breath of a quatrain: two verses of four equal lines, heard as two
    14 s phrases after a 0.3 s blip (a dev mix over an orchestra). The verses are mapped onto their phrases and
    the blip carries no lyric; with at most three lines a group, two lines had to go into the blip."""
    groups = assign_lines([8] * 8, np.array([0.3, 14.0, 14.0]), np.array([0.2, 0.4]))
    assert [g[:2] for g in groups] == [(0, 4), (4, 8)]
    assert groups[0][3] == 2 and groups[1][2:] == (2, 3)
