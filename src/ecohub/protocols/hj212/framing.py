"""Cut a byte stream into HJ 212 frames, sans I/O: bytes in, frames and errors out.

Framing rule: a frame runs from ``##`` through the first CR LF after it (2017 6.3.1 ends every
packet with CR LF). We frame by the terminator, not by the 4-digit length, because the length
is one of the fields loggers get wrong (the ``length_chars`` deviation counts characters), and
a framer that trusted it would lose sync on such a logger and hand the parser garbage; with
the terminator the parser sees the whole frame and can say what is wrong with it.

Missing CR LF: some loggers send frames back to back without it. When no CR LF comes before
the point the declared length gives for the end of the frame, and the next frame's ``##``
starts exactly there, the frame is cut at that point and returned without CR LF (``parse``
accepts a frame without terminator). A last frame without CR LF stays buffered until more
bytes arrive.

Bytes before ``##`` are returned as one ``FramingError("junk")`` once the next ``##`` shows
where they end; a frame longer than ``max_frame`` as ``FramingError("oversize")``, and the
framer skips to the next ``##``. The output does not depend on how the bytes were split
into ``feed`` calls. ``flush`` says what the buffer holds when the stream pauses (a last frame
without CR LF, complete by its declared length) or ends (that frame, or the unfinished bytes
as ``FramingError("truncated")``), so neither a last frame nor a cut one goes unseen.
"""

from __future__ import annotations

from ecohub.protocols.hj212.constants import HEADER, MAX_FRAME, MAX_REPORTED_DISCARD, TERMINATOR
from ecohub.protocols.hj212.errors import FramingError

__all__ = ["Framer", "FramingError"]


class Framer:
    """Incremental framer. ``feed`` returns complete frames (``bytes``) and ``FramingError``
    items in stream order; ``max_frame`` bounds a frame including ``##`` and CR LF (default:
    the 4-digit length's limit, 2 + 4 + 9999 + 4 + 2 = 10011 bytes)."""

    def __init__(self, max_frame: int = MAX_FRAME):
        self.max_frame = max_frame
        self._buf = bytearray()
        # While skipping an oversize frame: the error being built (size grows until '##').
        self._skipping: FramingError | None = None
        self._junk = bytearray()
        self._junk_size = 0

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def _note_junk(self, chunk: bytes | bytearray) -> None:
        room = MAX_REPORTED_DISCARD - len(self._junk)
        if room > 0:
            self._junk += chunk[:room]
        self._junk_size += len(chunk)

    def _flush_junk(self, out: list[bytes | FramingError]) -> None:
        if self._junk_size:
            out.append(FramingError("junk", bytes(self._junk), self._junk_size))
            self._junk = bytearray()
            self._junk_size = 0

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Add ``data`` and return what is complete: frames and framing errors, in order."""
        buf = self._buf
        buf += data
        out: list[bytes | FramingError] = []
        while buf:
            skipping = self._skipping
            if skipping is not None:
                # Inside an oversize frame: it ends at its CR LF or where the next '##' starts.
                head = buf.find(HEADER)
                crlf = buf.find(TERMINATOR)
                if crlf >= 0 and (head < 0 or crlf + 2 <= head):
                    cut = crlf + 2
                elif head >= 0:
                    cut = head
                else:
                    cut = len(buf) - (1 if buf[-1:] in (b"#", b"\r") else 0)
                    self._skip(skipping, cut)
                    break
                self._skip(skipping, cut)
                out.append(skipping)
                self._skipping = None
                continue
            start = buf.find(HEADER)
            if start != 0:
                # Bytes before '##' are junk; keep a trailing '#' that may start the next header.
                cut = start if start > 0 else len(buf) - (1 if buf[-1:] == b"#" else 0)
                if cut == 0:
                    break
                self._note_junk(buf[:cut])
                del buf[:cut]
                continue
            if len(buf) < 3:
                break  # a third '#' would make this '##' junk: wait for it
            if buf[2:3] == b"#":
                # '###': the header is the last '##' of a run of '#'; the first one is junk.
                self._note_junk(buf[:1])
                del buf[:1]
                continue
            self._flush_junk(out)
            end = self._frame_end(buf)
            if 0 <= end <= self.max_frame:
                out.append(bytes(buf[:end]))
                del buf[:end]
                continue
            if end < 0 and len(buf) <= self.max_frame:
                break
            # Oversize: report it and recover at the next '##' (or after its CR LF).
            cap = bytes(buf[:MAX_REPORTED_DISCARD])
            nxt = buf.find(HEADER, 2)
            limit = end if end >= 0 else len(buf)
            if 0 < nxt < limit:
                out.append(FramingError("oversize", cap, nxt))
                del buf[:nxt]
            elif end >= 0:
                out.append(FramingError("oversize", cap, end))
                del buf[:end]
            else:
                self._skipping = FramingError("oversize", cap[:2], 2)
                del buf[:2]
        return out

    def complete_without_terminator(self) -> bool:
        """The buffer holds exactly one frame by its declared length, without CR LF (a logger
        that omits it): complete, unless more bytes of it are still on their way."""
        buf = self._buf
        if self._skipping is not None or buf[:2] != HEADER or len(buf) < 10:
            return False
        length = buf[2:6]
        return length.isdigit() and len(buf) == 10 + int(length)

    def flush(self, *, final: bool) -> list[bytes | FramingError]:
        """What is held back, as if the stream had paused (``final=False``) or ended
        (``final=True``). Paused: a frame complete by its declared length without CR LF (see
        :meth:`complete_without_terminator`), else nothing. Ended: that frame, or else the
        unfinished bytes as ``FramingError("truncated")``; junk not reported yet and an
        oversize frame being skipped are reported too. Nothing is held back afterwards when
        ``final``."""
        out: list[bytes | FramingError] = []
        if self.complete_without_terminator():
            self._flush_junk(out)
            out.append(bytes(self._buf))
            self._buf.clear()
            return out
        if not final:
            return out
        self._flush_junk(out)
        buf = self._buf
        if self._skipping is not None:
            self._skip(self._skipping, len(buf))
            out.append(self._skipping)
            self._skipping = None
        elif buf:
            out.append(FramingError("truncated", bytes(buf[:MAX_REPORTED_DISCARD]), len(buf)))
            buf.clear()
        return out

    def _skip(self, skipping: FramingError, cut: int) -> None:
        room = MAX_REPORTED_DISCARD - len(skipping.discarded)
        if room > 0:
            skipping.discarded += bytes(self._buf[: min(cut, room)])
        skipping.size += cut
        del self._buf[:cut]

    @staticmethod
    def _frame_end(buf: bytearray) -> int:
        """Index just past the frame starting at 0, or -1 when it is not complete yet."""
        crlf = buf.find(TERMINATOR, 2)
        length = buf[2:6]
        if len(length) == 4 and length.isdigit():
            # Declared end of a frame without CR LF: only when the next '##' sits right there.
            declared_end = 10 + int(length)
            if (crlf < 0 or crlf > declared_end) and buf[declared_end : declared_end + 2] == HEADER:
                return declared_end
        return crlf + 2 if crlf >= 0 else -1
