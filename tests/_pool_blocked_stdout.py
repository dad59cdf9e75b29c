"""Run by test_lipsync_pool: transcribe with the speech pool while a thread is stuck writing to sys.stdout.

The thread writes to a pipe nobody reads, so it holds the stdout buffer's lock when the workers are forked.
multiprocessing flushes stdout before it forks, which would wait for that thread; here it does not in this
process, as when the thread takes the lock between that flush and the fork (the race this stands for).
Prints ``aligned N words`` on stderr when the pool has finished. Arguments: the audio and its lyrics.
"""

import os
import sys
import threading
from multiprocessing import util

from audio.params import LipsyncParams
from audio.transcribe import transcribe

parent, flush = os.getpid(), util._flush_std_streams
util._flush_std_streams = lambda: None if os.getpid() == parent else flush()

read_end, write_end = os.pipe()
sys.stdout = open(write_end, "w", buffering=1 << 16, encoding="utf-8")
stuck = threading.Thread(target=lambda: (sys.stdout.write("x" * (1 << 20)), sys.stdout.flush()), daemon=True)
stuck.start()
stuck.join(0.5)  # the pipe (64 KiB) is full: the thread waits in write(), holding the buffer's lock
os.environ["CHOREO_THREADS"] = "2"
tr = transcribe(sys.argv[1], lyrics=sys.argv[2], params=LipsyncParams(aligner="speech"))
print(f"aligned {len(tr.words)} words", file=sys.stderr, flush=True)
os._exit(0)  # the stuck thread's stream is never flushed
