"""Ground truth and scoring for lip-sync (used by tests and by benchmarks/lipsync_report.py).

Speech with exact phoneme times comes from espeak-ng's C library (audio.espeak); SSML prosody (slow
rate, raised pitch, pauses between lines) gives slower, sung-like delivery; a synthesized backing track
mixed under it makes the hard cases. Scores: word-onset error (mean, share within 0.3 s and 0.1 s),
phone-onset error (median over matched phones, share of all true phones within 50 ms) and mouth-shape
agreement per frame against the shapes derived from the true phonemes with the same rules.
"""

from __future__ import annotations

import difflib
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf

THRESHOLDS = Path(__file__).with_name("lipsync_thresholds.json")

TEXTS = {
    "fox": ["The quick brown fox jumps over the lazy dog", "She sells sea shells by the sea shore"],
    "star": ["Twinkle twinkle little star", "How I wonder what you are", "Up above the world so high",
             "Like a diamond in the sky"],
    "road": ["I walked along the empty road", "The morning light was cold and gray",
             "I sang a song to find my way home"],
}


def _ssml(lines: list[str], rate: str, pitch: str, gap_ms: int) -> str:
    body = f' <break time="{gap_ms}ms"/> '.join(lines)
    return f'<speak><prosody rate="{rate}" pitch="{pitch}">{body}</prosody></speak>'


CASES = {
    "speech_fox": ("fox", "speech", False),
    "speech_star": ("star", "speech", False),
    "speech_road": ("road", "speech", False),
    "sunglike_star": ("star", "sung", False),
    "sunglike_road": ("road", "sung", False),
    "sunglike_star_backing": ("star", "sung", True),
}


def make_case(name: str, folder: Path):
    """Synthesize a case: (audio path, lyrics path, the espeak SpokenText with the true timing)."""
    from tests.material.espeak_speech import synthesize

    key, style, backing = CASES[name]
    lines = TEXTS[key]
    if style == "speech":
        spoken = synthesize(" ".join(lines), rate_wpm=160)
    else:
        spoken = synthesize(_ssml(lines, "45%", "+25%", 700), ssml=True)
    y = spoken.y.astype(np.float32)
    if backing:
        from tests.material.synth import SongSpec
        from tests.material.synth import synthesize as synth_song

        song = synth_song(SongSpec(form=(("verse", 8),), bpm=100, sr=spoken.sr, seed=3))
        bed = np.resize(song.y, y.shape[0])
        y = 0.8 * y / np.abs(y).max() + 0.25 * bed / np.abs(bed).max()
    audio = folder / f"{name}.wav"
    sf.write(str(audio), y, spoken.sr)
    lyrics = folder / f"{name}.txt"
    lyrics.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return audio, lyrics, spoken


def score(tr, spoken, fps: Fraction = Fraction(24)) -> dict:
    """Score a transcript against espeak's true timing."""
    from choreography.mouth import mouth_cues

    true_w, est_w = spoken.words, tr.words
    n = min(len(true_w), len(est_w))
    errs = np.array([abs(est_w[i].start - true_w[i].start) for i in range(n)]) if n else np.array([0.5])
    tp = [p for p in spoken.phones if p.phone != "SIL"]
    ep = [p for p in tr.phones if p.phone != "SIL"]
    sm = difflib.SequenceMatcher(a=[p.phone for p in tp], b=[p.phone for p in ep], autojunk=False)
    perr = [abs(ep[j].start - tp[i].start) for blk in sm.get_matching_blocks() for i, j in
            zip(range(blk.a, blk.a + blk.size), range(blk.b, blk.b + blk.size), strict=True)]
    dur = tr.duration_s
    ref = mouth_cues(list(spoken.phones), fps=fps, duration_s=dur)
    est = mouth_cues(list(tr.phones), fps=fps, duration_s=dur)
    n_frames = min(ref[-1].end_frame, est[-1].end_frame)
    a, b = np.empty(n_frames, dtype="<U1"), np.empty(n_frames, dtype="<U1")
    for cues, arr in ((ref, a), (est, b)):
        for c in cues:
            arr[c.start_frame:min(c.end_frame, n_frames)] = c.shape
    return {"word_err_s": float(errs.mean()), "word_within_0.3": float(np.mean(errs <= 0.3)),
            "word_within_0.1": float(np.mean(errs <= 0.1)),
            "phone_median_ms": 1000 * float(np.median(perr)) if perr else 500.0,
            "phone_within_50ms": float(np.sum(np.array(perr) <= 0.05) / max(1, len(tp))),
            "shape_agree": float(np.mean(a == b)) if n_frames else 0.0, "words_ok": float(len(est_w) == len(true_w))}


METRICS = ("word_err_s", "word_within_0.3", "word_within_0.1", "phone_median_ms", "phone_within_50ms", "shape_agree")


def evaluate(cases=None, aligners=("auto", "sung")) -> list[dict]:
    """Run the lyrics-aligned tier on every case with each aligner setting and score it."""
    from audio.params import LipsyncParams
    from audio.transcribe import transcribe

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in cases or CASES:
            audio, lyrics, spoken = make_case(name, Path(tmp))
            for aligner in aligners:
                t0 = time.perf_counter()
                tr = transcribe(audio, lyrics=lyrics, params=LipsyncParams(aligner=aligner))
                secs = time.perf_counter() - t0
                rows.append({"case": name, "aligner": aligner, "method": tr.method, "confidence": tr.confidence,
                             "rtf": spoken.y.shape[0] / spoken.sr / secs, **score(tr, spoken)})
    return rows


def format_table(rows: list[dict]) -> str:
    """Plain-text table of the rows and their means."""
    head = f"{'case':24s} {'method':30s} " + " ".join(f"{m:>17s}" for m in METRICS) + f" {'conf':>5s} {'x RT':>6s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['case']:24s} {r['method']:30s} " + " ".join(f"{r[m]:17.3f}" for m in METRICS)
                     + f" {r['confidence']:5.2f} {r['rtf']:6.1f}")
    lines.append(f"{'mean':55s} " + " ".join(f"{np.mean([r[m] for r in rows]):17.3f}" for m in METRICS))
    lines.append("")
    lines.append("speed (x real time, warm: the first case includes loading the dictionary and models); target >= 10x")
    for method in sorted({r["method"] for r in rows}):
        rtf = [r["rtf"] for r in rows[1:] if r["method"] == method] or [r["rtf"] for r in rows if r["method"] == method]
        verdict = "PASS" if min(rtf) >= 10 else "MISS"
        lines.append(f"  {method:32s} min {min(rtf):6.1f}x  median {np.median(rtf):6.1f}x  {verdict}")
    return "\n".join(lines)
