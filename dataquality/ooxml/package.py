"""A workbook's zip: its parts read (`Package`), and a new zip written from it (`PackageWriter`).

A large part is deflated at level 1 by ISA-L (ooxml.deflate, the one adapter over zipfile's
internals; zlib at level 1 where it cannot be), a small one by zlib at level 6 as zipfile does.
Deflating runs on a worker thread (the compressors and file writes release the interpreter lock),
so a writer can build its next part while the last one is compressed.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from dataquality.load import zipparts
from dataquality.ooxml import OoxmlError
from dataquality.ooxml.deflate import open_deflated

BIG_PART = 1 << 20  # parts larger than this are deflated at level 1 (speed), smaller ones at 6
_ZIP64_FROM = (1 << 31) - 1  # a part this large needs zip64 sizes (zipfile must know before it is written)
_BLOCK = 1 << 20  # pieces of a part are handed to zlib in blocks of about this size

Data = bytes | Sequence[bytes | memoryview]


class Package:
    """A workbook's zip opened for reading (a path, or a binary file such as io.BytesIO)."""

    def __init__(self, source: Path | BinaryIO) -> None:
        try:
            self.zip = zipfile.ZipFile(source)
        except zipfile.BadZipFile as exc:
            raise OoxmlError(f"the workbook is not a readable zip ({exc})") from None
        self.names = [info.filename for info in self.zip.infolist()]
        self._names = set(self.names)

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        """The part's bytes (inflated by ISA-L where the file allows it, load.zipparts)."""
        try:
            return zipparts.read(self.zip, name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise OoxmlError(f"part {name} of the workbook is damaged ({exc})") from None

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _size(data: Data) -> int:
    return len(data) if isinstance(data, bytes) else sum(map(len, data))


def _blocks(pieces: Iterable[bytes | memoryview]) -> Iterable[bytes | memoryview]:
    """Pieces joined into blocks of about _BLOCK bytes: one zlib call per block, not per small piece."""
    pending: list[bytes | memoryview] = []
    size = 0
    for piece in pieces:
        if len(piece) >= _BLOCK and not pending:
            yield piece
            continue
        pending.append(piece)
        size += len(piece)
        if size >= _BLOCK:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def write_part(zout: zipfile.ZipFile, name: str, data: Data) -> None:
    """Part `name` deflated into `zout` (opened by PackageWriter: level 1 for parts written in pieces)."""
    size = _size(data)
    if size <= BIG_PART:
        zout.writestr(name, data if isinstance(data, bytes) else b"".join(data), compresslevel=6)
        return
    with open_deflated(zout, name, size > _ZIP64_FROM) as fh:
        for block in _blocks([data] if isinstance(data, bytes) else data):
            fh.write(block)


def copy_part(source: Package, info: zipfile.ZipInfo, zout: zipfile.ZipFile) -> None:
    """Part `info` of `source` into `zout` with its content, date and attributes; a stored part
    (an image) stays stored."""
    data = source.read(info.filename)
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.external_attr = info.external_attr
    copy.compress_type = info.compress_type
    if info.compress_type == zipfile.ZIP_DEFLATED and len(data) > BIG_PART:
        with open_deflated(zout, copy, len(data) > _ZIP64_FROM) as fh:
            fh.write(data)
    else:
        zout.writestr(copy, data, compresslevel=6)


class PackageWriter:
    """A new zip at `target` made from `source`: the parts handed to `put` (new or replacing
    `source`'s), without the parts named to `drop`, and every other part of `source` as it was.

    Used as a context manager: leaving it copies the untouched parts and waits for every part (a
    worker's error is raised there); leaving it with an error stops the worker and closes the file,
    which the caller then discards (it writes to a temporary name)."""

    def __init__(self, source: Package, target: Path | BinaryIO) -> None:
        self._source = source
        self._zout = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dq-zip")
        self._jobs: list[Future[None]] = []
        self.written: set[str] = set()  # the parts put or dropped so far

    def put(self, name: str, data: Data) -> None:
        """Write part `name` (bytes, or pieces written one after the other)."""
        if name in self.written:
            raise ValueError(f"part {name} written twice")
        self.written.add(name)
        self._jobs.append(self._pool.submit(write_part, self._zout, name, data))

    def drop(self, name: str) -> None:
        """Leave `source`'s part `name` out of the new zip."""
        self.written.add(name)

    def _copy_rest(self) -> None:
        for info in self._source.zip.infolist():
            if info.filename not in self.written:
                copy_part(self._source, info, self._zout)

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is None:
                self._jobs.append(self._pool.submit(self._copy_rest))
            else:
                for job in self._jobs:
                    job.cancel()
            self._pool.shutdown(wait=True)
            if error is None:
                for job in self._jobs:
                    job.result()
        finally:
            self._zout.close()
