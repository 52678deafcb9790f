"""The SQLite store of raw answers and of each file's state: what makes a re-run free.

One row per answer, keyed by :func:`cache_key`: the file's content hash plus the service, the
model and every option that changes the answer (pages, workspace, score, case, the page of a
split file, the service's host). Never the API key: the key changes who pays, not the answer,
and it must never reach the disk. The answer is stored as JSON text, exactly the decoded answer
the client returned (the whole envelope), so every table can be rebuilt from the cache alone.

DocAI's asynchronous submissions leave a ``pending`` row (the ``fileId``) until their result is
collected; a later run polls for it instead of submitting (and paying) again.

The database runs in WAL mode and every answer is committed on its own: a process killed with
SIGKILL loses at most the answer it was writing (WAL with ``synchronous=NORMAL`` is safe against
a process crash; only a power cut may lose the last transactions). Several processes may share
one cache; SQLite's locking and a busy timeout keep them apart.

Location: ``cache=True`` means :func:`default_cache_path`; a path names the database file (or a
folder to hold ``cache.sqlite3``); ``cache=False`` keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ocrframe.errors import ConfigurationError, redact

__all__ = ["CACHE_FILENAME", "ResponseCache", "cache_key", "default_cache_path", "key_function"]

CACHE_FILENAME = "cache.sqlite3"

# Bumped when the meaning of a key changes, so that old rows are never read with a new meaning.
_KEY_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    service TEXT NOT NULL,
    model TEXT,
    page INTEGER,
    response TEXT NOT NULL,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    service TEXT NOT NULL,
    model TEXT,
    file_id TEXT NOT NULL,
    submitted_at REAL NOT NULL
);
"""


def default_cache_path() -> Path:
    """Where the cache lives when none is named.

    ``$OCRFRAME_CACHE_DIR/cache.sqlite3``, else ``$XDG_CACHE_HOME/ocrframe/cache.sqlite3``, else
    ``~/.cache/ocrframe/cache.sqlite3``.

    >>> default_cache_path().name
    'cache.sqlite3'
    """
    folder = os.environ.get("OCRFRAME_CACHE_DIR")
    if folder:
        return Path(folder) / CACHE_FILENAME
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "ocrframe" / CACHE_FILENAME


def cache_key(
    *,
    sha256: str,
    service: str,
    model: str | None,
    page: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> str:
    """The identity of an answer: a hash of everything that shapes it, and nothing else.

    ``options`` holds the request options that change the answer (pages, workspace, score, case,
    host, rendering); ``None`` values are dropped so that "not given" is one thing.

    >>> a = cache_key(sha256="ab" * 32, service="docai", model="invoice", options={"pages": None})
    >>> a == cache_key(sha256="ab" * 32, service="docai", model="invoice")
    True
    >>> a == cache_key(sha256="ab" * 32, service="docai", model="text")
    False
    """
    return key_function(service=service, model=model, options=options)(sha256, page)


def key_function(
    *, service: str, model: str | None, options: Mapping[str, Any] | None = None
) -> Callable[[str, int | None], str]:
    """:func:`cache_key` with the run's settings fixed: ``key(sha256, page)``.

    A run's service, model and options are the same for every file; their JSON is written once
    here instead of once per file. The text hashed is exactly ``json.dumps(identity,
    sort_keys=True, separators=(",", ":"))`` of the identity dict (keys model, options, page,
    service, sha256, v in that sorted order), so keys are those of every earlier version.

    >>> key = key_function(service="docai", model="invoice")
    >>> key("ab" * 32, None) == cache_key(sha256="ab" * 32, service="docai", model="invoice")
    True
    """
    shaped = {k: v for k, v in sorted((options or {}).items()) if v is not None}
    head = (
        '{"model":'
        + json.dumps(model)
        + ',"options":'
        + json.dumps(shaped, sort_keys=True, separators=(",", ":"), default=str)
        + ',"page":'
    )
    middle = ',"service":' + json.dumps(service) + ',"sha256":'
    tail = ',"v":' + json.dumps(_KEY_VERSION) + "}"

    def key(sha256: str, page: int | None) -> str:
        text = head + json.dumps(page) + middle + json.dumps(sha256) + tail
        return hashlib.sha256(text.encode()).hexdigest()

    return key


class ResponseCache:
    """The answers already paid for, and the submissions still running, in one SQLite file.

    >>> with ResponseCache("/tmp/ocrframe-cache.sqlite3") as cache:  # doctest: +SKIP
    ...     cache.put("k", {"code": 200}, sha256="..", service="docai", model="text")
    ...     cache.get("k")
    {'code': 200}
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        target = Path(path)
        if target.is_dir():
            target = target / CACHE_FILENAME
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: each statement is its own transaction, so each answer is on disk (in the
            # WAL) the moment put() returns.
            conn = sqlite3.connect(
                target, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(f"cannot open the cache at {target}: {exc}") from exc
        self.path = target
        self._conn = conn

    @classmethod
    def open(cls, cache: bool | str | os.PathLike[str]) -> ResponseCache | None:
        """Open the cache that ``cache=`` names: ``True`` the default, a path, ``False`` none."""
        if cache is False:
            return None
        if cache is True:
            return cls(default_cache_path())
        return cls(cache)

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer for ``key``, or ``None``."""
        row = self._conn.execute("SELECT response FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            answer = json.loads(row[0])
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    def put(
        self,
        key: str,
        response: Mapping[str, Any],
        *,
        sha256: str,
        service: str,
        model: str | None,
        page: int | None = None,
    ) -> None:
        """Store an answer (replacing any older one) and clear the key's pending state."""
        # The answer never holds a key, but a scrub costs little and makes "never" certain.
        text = redact(json.dumps(response, ensure_ascii=False, separators=(",", ":")))
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, sha256, service, model, page, text, time.time()),
            )
            self._conn.execute("DELETE FROM pending WHERE key = ?", (key,))

    def get_pending(self, key: str) -> str | None:
        """The ``fileId`` of a submission still running for ``key``, or ``None``."""
        row = self._conn.execute("SELECT file_id FROM pending WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_pending(
        self, key: str, file_id: str, *, sha256: str, service: str, model: str | None
    ) -> None:
        """Remember a submission still running, so that a later run polls instead of paying."""
        self._conn.execute(
            "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)",
            (key, sha256, service, model, file_id, time.time()),
        )

    def drop_pending(self, key: str) -> None:
        """Forget a running submission (it failed, or a refresh replaces it)."""
        self._conn.execute("DELETE FROM pending WHERE key = ?", (key,))

    def count(self) -> int:
        """How many answers are stored."""
        return int(self._conn.execute("SELECT count(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        """Close the database (idempotent)."""
        self._conn.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"
