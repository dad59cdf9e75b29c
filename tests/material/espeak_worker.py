"""The espeak-ng synthesizer worker: one utterance per process (see :func:`tests.material.espeak_speech.synthesize`).

Run as ``python -I -S espeak_worker.py`` (standard library only, so it starts in about 20 ms).
stdin: marshal of (library path, text, voice, rate_wpm, pitch, espeak_Synth flags, buffer ms);
stdout: marshal of (error message or None, sample rate, 16-bit PCM bytes, events). An event is
(type, text_position, length, sample, phoneme mnemonic); only WORD and PHONEME events are kept.
"""

import ctypes
import marshal
import sys


class EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_ubyte * 8)]

class Event(ctypes.Structure):  # espeak_EVENT
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int),  # 1-based, characters of the input (SSML markup included)
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int),  # ms, truncated
                ("sample", ctypes.c_int),  # index of the output sample
                ("user_data", ctypes.c_void_p), ("id", EventId)]

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))
WORD, PHONEME = 1, 7

def main():
    path, text, voice, rate_wpm, pitch, flags, buffer_ms = marshal.loads(sys.stdin.buffer.read())
    lib = ctypes.CDLL(path)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    # AUDIO_OUTPUT_SYNCHRONOUS; options: phoneme events, and no exit() when the data is missing
    sr = lib.espeak_Initialize(2, buffer_ms, None, 0x8001)
    if sr <= 0:
        return "espeak-ng could not be initialised (is espeak-ng-data installed?)", 0, b"", []
    chunks, events, failed = [], [], []

    def collect(wav, n_samples, evs):
        try:
            if wav and n_samples > 0:
                chunks.append(ctypes.string_at(wav, 2 * n_samples))
            i = 0
            while evs[i].type != 0:  # the list ends with espeakEVENT_LIST_TERMINATED
                ev = evs[i]
                if ev.type in (WORD, PHONEME):
                    # audio_position is the same point in whole ms; sample is 0 only at the very start
                    sample = ev.sample if ev.sample else round(ev.audio_position * sr / 1000)
                    name = ""
                    if ev.type == PHONEME:  # id.string: up to 8 bytes, NUL-terminated only when shorter
                        name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                    events.append((ev.type, ev.text_position, ev.length, sample, name))
                i += 1
            return 0
        except BaseException as exc:  # must not unwind through C
            failed.append(repr(exc))
            return 1

    callback = CALLBACK(collect)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
        return f"espeak-ng has no voice {voice!r} (try 'en-us', 'fr', 'es', 'de')", sr, b"", []
    lib.espeak_SetParameter(1, rate_wpm, 0)  # espeakRATE
    lib.espeak_SetParameter(3, pitch, 0)  # espeakPITCH
    data = text.encode("utf-8") + b"\0"
    err = lib.espeak_Synth(data, len(data), 0, 1, 0, flags, None, None)  # from character 0 (POS_CHARACTER)
    if err == 0:
        err = lib.espeak_Synchronize()
    if err != 0 or failed:
        return f"espeak-ng failed to synthesize the text (error {err} {' '.join(failed)})", sr, b"", []
    return None, sr, b"".join(chunks), events

if __name__ == "__main__":
    sys.stdout.buffer.write(marshal.dumps(main()))
