"""Submitting a change set through the service: the files a signed-in person sends are kept by the
service (content-addressed in the state folder), the change set is computed there, and the
submission records those copies with their sha256 under the chain. `dq apply` later applies the
kept copies, whose sha256 the sealed events give, so a file edited on the submitter's disk or a
path rewritten in the table changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from dataquality.approve import workflow
from dataquality.approve.accounts import Account
from dataquality.approve.changes import load_change_set
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.store import Store

KEPT_FOLDER = "submitted"
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def _safe_name(name: str) -> str:
    """A file name from a client: its last part, no path, no control characters, short."""
    base = Path(name.replace("\\", "/")).name or "file"
    cleaned = _UNSAFE.sub("_", base).strip("._") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        return cleaned[:80]
    return f"{stem[:60]}.{suffix[:10]}"


def keep(state_dir: Path, stream: BinaryIO, name: str) -> Path:
    """Copy an uploaded file into STATE/submitted/<sha256>/<name> (owner-only), once per content."""
    folder = Path(state_dir) / KEPT_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".upload-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        target = folder / digest.hexdigest() / _safe_name(name)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        if target.exists():
            return target
        os.replace(tmp, target)
        return target
    finally:
        tmp.unlink(missing_ok=True)


def keep_path(state_dir: Path, path: Path) -> Path:
    """`keep` for a file already on the service's disk."""
    with open(path, "rb") as fh:
        return keep(state_dir, fh, path.name)


def submit_files(store: Store, config: Config, policy: ApprovalPolicy, submitter: Account, incoming: Path,
                 baseline: Path, requested_by: str | None = None, lang: str = "en") -> workflow.SubmitResult:
    """Compute the change set of two kept files and submit it as the signed-in `submitter`;
    `requested_by` names who asked (information) where the file has no 申请人 column."""
    from dataquality.approve.apply import sha256_of

    if requested_by:
        policy.directory().person(requested_by, "requester")
    changes, inc, _ = load_change_set(incoming, baseline, config, policy, lang, requested_by=requested_by)
    info = {"incoming_path": str(incoming), "incoming_sha256": sha256_of(incoming),
            "baseline_path": str(baseline), "baseline_sha256": sha256_of(baseline),
            "entities": sorted({t.entity for t in inc})}
    return workflow.submit(store, changes, info, by=submitter.person_id, directory=policy.directory())

