"""The parts of a zip (an xlsx workbook) read quickly and checked as zipfile checks them (writing
a zip is dataquality.ooxml.package's).

A deflated part is inflated by ISA-L (the isal package: several times zlib's speed, the same
deflate format) straight from the file; everything else goes through zipfile. Either way a
part whose local header names another part, that inflates past its declared size, or whose
bytes do not match the declared size and CRC raises zipfile.BadZipFile, as zipfile would.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


class PartsZip(zipfile.ZipFile):
    """A workbook's zip opened from a file this object holds, so that its parts can be read at
    explicit offsets (os.pread) by `chunks`: the bytes the directory describes, even if the path
    now names another file, and without moving zipfile's own file position."""

    def __init__(self, path: Path | str) -> None:
        self.file = open(path, "rb")  # noqa: SIM115 - closed with the zip
        try:
            super().__init__(self.file)
        except BaseException:
            self.file.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.file.close()


def chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = CHUNK) -> Iterator[bytes]:
    """The part's bytes in chunks of at most `size`. A deflated part is inflated by ISA-L (isal,
    several times zlib's speed) from the file itself, with zipfile's checks: the local header must
    name the part, and the bytes must come to the declared size with the declared CRC (else
    zipfile.BadZipFile: damaged, or a bomb whose directory lies). Anything else (stored,
    encrypted, another method, a zip not opened as a PartsZip) goes through zipfile."""
    fd = _descriptor(zf)
    isal_zlib = _isal()
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1 or fd is None or isal_zlib is None:
        with zf.open(info) as fh:
            while chunk := fh.read(size):
                yield chunk
        return
    at = info.header_offset
    header = os.pread(fd, 30, at)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    name_length, extra_length = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    name = os.pread(fd, name_length, at + 30)
    if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace") != info.orig_filename:
        raise zipfile.BadZipFile(f"{info.filename}: the local header names another part")
    at += 30 + name_length + extra_length
    inflater = isal_zlib.decompressobj(-15)
    left, crc, total = info.compress_size, 0, 0
    pending = b""
    while not inflater.eof:
        if not pending and left > 0:
            pending = os.pread(fd, min(left, max(size >> 2, 1 << 16)), at)
            if not pending:
                raise EOFError(info.filename)
            left -= len(pending)
            at += len(pending)
        try:
            chunk = inflater.decompress(pending, size)  # at most `size` out per call: a bomb stays in bounds
        except isal_zlib.error as exc:
            raise zipfile.BadZipFile(f"{info.filename}: {exc}") from None
        pending = inflater.unconsumed_tail
        if not chunk and not pending and left <= 0:
            break  # no more input and nothing more comes out: the stream ends early
        total += len(chunk)
        if total > info.file_size:
            raise zipfile.BadZipFile(f"{info.filename} expands past its declared size")
        if chunk:
            crc = isal_zlib.crc32(chunk, crc)
            yield chunk
    if not inflater.eof or total != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename}: bad size or CRC")


def _isal() -> Any:
    """isal's zlib module; None where it is not installed (an environment made before dq needed
    it): the parts are then read by zipfile, only more slowly."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib


def _descriptor(zf: zipfile.ZipFile) -> int | None:
    """The file descriptor of a PartsZip's file, where it can be read at an offset (else None)."""
    if not isinstance(zf, PartsZip) or not hasattr(os, "pread"):
        return None
    try:
        return zf.file.fileno()
    except (OSError, ValueError):
        return None


def read(zf: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> bytes:
    """The whole part `member` (zipfile.ZipFile.read, inflated by ISA-L)."""
    info = member if isinstance(member, zipfile.ZipInfo) else zf.getinfo(member)
    return b"".join(chunks(zf, info, max(CHUNK, 1 << (max(info.file_size, 1).bit_length()))))
