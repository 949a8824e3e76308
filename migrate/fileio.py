"""Reading source files faithfully and writing them back atomically.

What goes in must come out byte for byte wherever a rule did not touch it: the encoding
(PEP 263 cookie or UTF-8), a UTF-8 BOM, CRLF/LF line endings and tabs. libcst keeps
newlines and indentation itself; this module keeps the bytes around the text.
"""

from __future__ import annotations

import codecs
import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


# Python itself refuses such a file ("source code cannot contain null bytes")
BINARY = "binary file (contains NUL bytes; so do UTF-16 and UTF-32 text), not Python source"


class UnreadableSource(Exception):
    """The file cannot be treated as Python source text (binary, undecodable, ...)."""


@dataclass(frozen=True)
class SourceText:
    """Decoded text plus what is needed to encode it back to identical bytes."""

    text: str
    encoding: str
    bom: bool

    def encode(self, text: str | None = None) -> bytes:
        """Bytes for `text` (default: the original text) in the original encoding and BOM."""
        data = (self.text if text is None else text).encode(self.encoding)
        return (codecs.BOM_UTF8 + data) if self.bom else data


def decode_source(data: bytes) -> SourceText:
    """Decode Python source bytes the way the interpreter would (BOM, coding cookie)."""
    if b"\x00" in data:
        raise UnreadableSource(BINARY)
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UnreadableSource(f"bad encoding declaration: {exc}") from None
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableSource(f"cannot decode as {encoding}: {exc}") from None
    return SourceText(text=text, encoding=encoding, bom=bom)


def read_source(path: Path) -> SourceText:
    """Read and decode a source file (see decode_source)."""
    return decode_source(Path(path).read_bytes())


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, keeping its permission bits.

    A temp file in the same folder + os.replace: readers see the old or the new file,
    never half of one, and a crash leaves the original in place.
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".migrate-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
