"""The one place dq reaches into a library's internals: large zip parts deflated by ISA-L.

zipfile deflates a part written through `ZipFile.open(..., "w")` with the compressor object it
keeps in the private attribute `_compressor` of the file object it returns (zlib's, made with
`zlib.compressobj(level, DEFLATED, -15)`). ISA-L's compressobj makes the same raw deflate stream
several times faster: for the annotated copy of a 100,000-row sheet (about 200 MB of new parts)
that is most of a second of the writer's time. Only speed depends on it: where the attribute is
gone (another Python) or isal is not installed, the part is deflated by zlib at level 1 through
zipfile's public API, with the same result. `tests/ooxml/test_ooxml_parts.py` fails when the swap
stops taking effect, so that someone looks.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import IO, Any


def _isal() -> Any:
    try:
        from isal import isal_zlib
    except ImportError:  # an environment made before dq needed isal: zlib, only slower
        return None
    return isal_zlib


def open_deflated(zout: zipfile.ZipFile, member: str | zipfile.ZipInfo, force_zip64: bool) -> IO[bytes]:
    """Part `member` (deflated: a name in a ZipFile opened with ZIP_DEFLATED, or a ZipInfo saying
    so) of `zout` opened for writing, deflated by ISA-L at level 1 where it can be, else by zlib."""
    fh = zout.open(member, "w", force_zip64=force_zip64)
    isal_zlib = _isal()
    if isal_zlib is not None and hasattr(fh, "_compressor"):
        fh._compressor = isal_zlib.compressobj(1, zlib.DEFLATED, -15)
    return fh


def deflated_by_isal(fh: IO[bytes]) -> bool:
    """Whether the part being written through `fh` is deflated by ISA-L (for the test)."""
    return type(getattr(fh, "_compressor", None)).__module__.startswith("isal")
