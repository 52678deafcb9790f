"""Inputs: page selections; discovering, reading and hashing files.

Page selections are DocAI's ``legalPageNumbers``: ``"1-1, 3-4"`` means pages 1, 3 and 4.

Discovery (:func:`iter_inputs`) walks folders recursively in name order and yields one
:class:`InputFile` per file found. A file that cannot be used (a broken link, a symbolic-link
loop, a FIFO) is yielded too, with its ``error`` set, so that the batch engine can give it a
``failed`` row instead of dropping it. Hidden files and folders (names starting with ``.``) are
skipped unless asked for; a path named explicitly is never skipped.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ocrframe import limits
from ocrframe.errors import ConfigurationError, InputFileError, PageRangeError

__all__ = [
    "InputFile",
    "PageSpec",
    "PathArg",
    "format_pages",
    "iter_inputs",
    "parse_pages",
    "read_input",
    "readable_path",
    "sha256_hex",
]

PathArg = str | os.PathLike[str] | os.PathLike[bytes] | bytes

PageSpec = str | Iterable[int]

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_pages(spec: PageSpec, *, max_pages: int | None = None) -> list[int]:
    """Turn a page selection into a sorted list of distinct 1-based page numbers.

    Accepts DocAI's ``legalPageNumbers`` form (``"1-1, 3-4"``, ``"2"``) or an iterable of ints.
    Raises :class:`PageRangeError` for anything else (``"3-1"``, ``"0-2"``, ``"a"``, ``""``),
    and for a page past ``max_pages``
    (told before any list is built: ``"1-30000000"`` costs nothing); by default
    :data:`ocrframe.limits.MAX_PAGES`.

    >>> parse_pages("1-1, 3-4")
    [1, 3, 4]
    >>> parse_pages([4, 1, 3])
    [1, 3, 4]
    """
    if isinstance(spec, str):
        if not spec.strip():
            raise PageRangeError("empty page selection: give pages like '1-1, 3-4'")
        pages: set[int] = set()
        for part in spec.split(","):
            m = _RANGE.match(part)
            if m is None:
                raise PageRangeError(
                    f"page range {part.strip()!r} in {spec!r} is not 'N' or 'N-M' "
                    "with whole numbers"
                )
            start = _page_number(m.group(1))
            end = _page_number(m.group(2)) if m.group(2) is not None else start
            if start < 1:
                raise PageRangeError(f"page range {part.strip()!r} in {spec!r}: pages start at 1")
            if end < start:
                raise PageRangeError(
                    f"page range {part.strip()!r} in {spec!r} ends before it starts"
                )
            _check_page_limit(end, max_pages)
            pages.update(range(start, end + 1))
        return sorted(pages)
    result: set[int] = set()
    for page in spec:
        if isinstance(page, bool) or not isinstance(page, int):
            raise PageRangeError(f"page {page!r} is not a whole number")
        if page < 1:
            raise PageRangeError(f"page {page} is not valid: pages start at 1")
        result.add(page)
        _check_page_limit(page, max_pages)
    if not result:
        raise PageRangeError("empty page selection: give at least one page")
    return sorted(result)


def _page_number(digits: str) -> int:
    # int() refuses strings of over 4,300 digits with a bare ValueError; any number that long is
    # past every limit, so its size is all that matters.
    return int(digits) if len(digits) <= 18 else 10**18


def _check_page_limit(last: int, max_pages: int | None) -> None:
    # A page past the limit can never be read (no file may have more pages), so a selection
    # reaching past it is a typo or an attack: refused before a list is built. Pages at most
    # max_pages also bounds how many a selection names.
    if max_pages is None:
        max_pages = limits.MAX_PAGES
    if last > max_pages:
        shown = f"{last:,}" if last < 10**15 else "a number of over 15 digits"
        raise PageRangeError(
            f"the page selection goes up to page {shown}, past the limit of {max_pages:,} pages "
            "per file (max_pages)"
        )


def format_pages(spec: PageSpec) -> str:
    """Format a page selection as DocAI's ``legalPageNumbers``, merging consecutive pages.

    >>> format_pages([1, 3, 4])
    '1-1, 3-4'
    >>> format_pages("2, 3")
    '2-3'
    """
    pages = parse_pages(spec)
    runs: list[tuple[int, int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return ", ".join(f"{a}-{b}" for a, b in runs)


# --- files ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file found by :func:`iter_inputs`.

    ``path`` is the operating-system path used to open it (it may hold undecodable bytes as
    surrogate escapes); ``source`` is the readable name that goes into every table: the path
    relative to the folder submitted (``/`` separators), or the file's name for a file named
    directly. ``error`` is set when the file is known to be unusable before it is read.
    """

    path: str
    source: str
    error: InputFileError | None = None


def readable_path(path: str) -> str:
    """Return ``path`` as printable text: undecodable bytes become ``\\xNN`` escapes.

    Names on a POSIX disk are bytes; Python decodes them with surrogate escapes, which cannot be
    written to Parquet or a terminal. The readable form keeps every other character as it is.

    >>> readable_path("caf\udce9.png")
    'caf\\xe9.png'
    >>> readable_path("résumé 1.pdf")
    'résumé 1.pdf'
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _as_str_path(path: PathArg) -> str:
    return os.fsdecode(os.fspath(path))


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def iter_inputs(
    paths: PathArg | Sequence[PathArg],
    *,
    include_hidden: bool = False,
    follow_symlinks: bool = False,
) -> Iterator[InputFile]:
    """Yield every file under ``paths`` (a folder, searched recursively; a file; or a list).

    Nothing is read here. Sources are relative to the folder given (or the file's name for a
    file given directly), and unique within the call: when a second input would get a source
    already given (``x.png`` from two folders, or a name with undecodable bytes beside its
    printed twin ``caf\\xe9.png``), it gets the path as given (``b/x.png``) when several paths
    were given, and when that is taken too (or there is one folder), `` (2)``, `` (3)``...
    before its extension. A path that does not exist, a
    broken link, a symbolic-link loop or a special file (FIFO, device, socket) is yielded with
    ``error`` set, and so is a symbolic link inside a folder that leads outside it (``..``,
    ``/etc``) unless ``follow_symlinks``. A single path that does not exist raises
    :class:`~ocrframe.errors.ConfigurationError` (a typo, not a file to report on).

    >>> [f.source for f in iter_inputs("invoices/")]  # doctest: +SKIP
    ['2024/a.pdf', 'b.png']
    """
    if isinstance(paths, str | bytes | os.PathLike):
        single = _as_str_path(paths)
        if not os.path.lexists(single):
            raise ConfigurationError(f"no such file or folder: {readable_path(single)}")
        items = [single]
    else:
        items = [_as_str_path(p) for p in paths]
    sources: set[str] = set()
    paths_seen: set[str] = set()
    several = len(items) > 1
    for given in items:
        absolute = os.path.abspath(given)
        if absolute in paths_seen:
            continue
        paths_seen.add(absolute)
        if os.path.isdir(given):
            # Within one folder, sources collide only by printing alike: numbered, not qualified.
            root = readable_path(os.path.normpath(given)).replace(os.sep, "/") + "/"
            for item in _walk(given, include_hidden, follow_symlinks):
                yield _unique(item, root + item.source if several else item.source, sources)
            continue
        name = readable_path(os.path.basename(os.path.normpath(given)) or given)
        item = InputFile(given, name, _file_problem(given, name))
        yield _unique(item, readable_path(given), sources)


def _unique(item: InputFile, qualified: str, taken: set[str]) -> InputFile:
    """``item`` with a source no earlier input has: its own, else ``qualified``, else numbered."""
    source = item.source
    if source in taken:
        source = qualified
        stem, dot, extension = qualified.rpartition(".")
        if not dot or "/" in extension:
            stem, dot, extension = qualified, "", ""
        number = 2
        while source in taken:
            source = f"{stem} ({number}){dot}{extension}"
            number += 1
    taken.add(source)
    if source == item.source:
        return item
    error = item.error
    if error is not None:
        error = InputFileError(error.message, code=error.code, source=source)
    return InputFile(item.path, source, error)


def _file_problem(path: str, source: str) -> InputFileError | None:
    """What is wrong with ``path`` that can be told from its metadata alone, if anything."""
    return _look(path, source)[0]


def _look(path: str, source: str) -> tuple[InputFileError | None, os.stat_result | None]:
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return InputFileError(
                "symbolic link loop: the link never reaches a file",
                code="unreadable",
                source=source,
            ), None
        if isinstance(exc, FileNotFoundError):
            broken = os.path.islink(path)
            what = "broken symbolic link" if broken else "no such file"
            return InputFileError(what, code="not_found", source=source), None
        return InputFileError(
            f"cannot be read ({exc.strerror or exc})", code="unreadable", source=source
        ), None
    if stat.S_ISDIR(st.st_mode):
        return None, st
    if not stat.S_ISREG(st.st_mode):
        return InputFileError(
            "not a regular file (a FIFO, socket or device)", code="unsupported", source=source
        ), st
    return None, st


def _walk(root: str, include_hidden: bool, follow_symlinks: bool) -> Iterator[InputFile]:
    # Symbolic links are followed while they stay inside the root (all of them with
    # follow_symlinks); the (device, inode) chain from the root tells a link that leads back
    # into its own ancestors (a loop) from a harmless one.
    # Only the names of a folder are held while it is walked (not os.DirEntry objects): a flat
    # folder of 100,000 files then costs a few megabytes, not tens.
    def visit(folder: str, chain: frozenset[tuple[int, int]]) -> Iterator[InputFile]:
        try:
            with os.scandir(folder) as it:
                names = [e.name for e in it if include_hidden or not _is_hidden(e.name)]
        except OSError as exc:
            source = readable_path(os.path.relpath(folder, root).replace(os.sep, "/"))
            yield InputFile(
                folder,
                source,
                InputFileError(
                    f"folder cannot be listed ({exc.strerror or exc})",
                    code="unreadable",
                    source=source,
                ),
            )
            return
        names.sort()
        # The folder's part of every source, computed once (relpath per file is measurable).
        prefix = "" if folder == root else os.path.relpath(folder, root).replace(os.sep, "/") + "/"
        for name in names:
            path = os.path.join(folder, name)
            source = readable_path(prefix + name)
            if not follow_symlinks and os.path.islink(path) and not _inside(path, inside):
                yield InputFile(
                    path,
                    source,
                    InputFileError(
                        "symbolic link to a place outside the folder given: not followed "
                        "(follow_symlinks=True follows it)",
                        code="outside_folder",
                        source=source,
                    ),
                )
                continue
            problem, st = _look(path, source)
            if problem is not None or st is None:
                yield InputFile(path, source, problem)
                continue
            if not stat.S_ISDIR(st.st_mode):
                yield InputFile(path, source)
                continue
            ident = (st.st_dev, st.st_ino)
            if ident in chain:
                yield InputFile(
                    path,
                    source,
                    InputFileError(
                        "symbolic link loop: the folder links back to one of its own parents",
                        code="unreadable",
                        source=source,
                    ),
                )
            else:
                yield from visit(path, chain | {ident})

    inside = os.path.realpath(root)
    st = os.stat(root)
    yield from visit(root, frozenset({(st.st_dev, st.st_ino)}))


def _inside(link: str, root: str) -> bool:
    """Whether the symbolic link ``link`` resolves to ``root`` or below it (loops count as
    inside: the walk reports them itself)."""
    try:
        target = os.path.realpath(link, strict=True)
    except OSError:
        return True  # broken or looping: _look says which
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def read_input(item: InputFile, *, max_bytes: int | None = None) -> bytes:
    """Read a discovered file, refusing what cannot be submitted.

    Raises :class:`~ocrframe.errors.InputFileError` with code ``not_found``, ``unreadable``,
    ``too_large`` (over ``max_bytes``, told from the size before reading) or ``empty``.

    >>> read_input(InputFile("a.png", "a.png"), max_bytes=10)  # doctest: +SKIP
    b'\\x89PNG...'
    """
    if item.error is not None:
        raise item.error
    try:
        with open(item.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise InputFileError(
                    f"the file is {size:,} bytes, over the limit of {max_bytes:,}",
                    code="too_large",
                    source=item.source,
                )
            # One byte past what fstat said: a file that grew since is still caught (and a
            # read of exactly the expected size does not allocate the limit up front).
            expected = size if max_bytes is None else min(size, max_bytes)
            content = handle.read(expected + 1)
            if max_bytes is None and len(content) > expected:
                content += handle.read()
    except FileNotFoundError as exc:
        raise InputFileError("no such file", code="not_found", source=item.source) from exc
    except OSError as exc:
        raise InputFileError(
            f"cannot be read ({exc.strerror or exc})", code="unreadable", source=item.source
        ) from exc
    if max_bytes is not None and len(content) > max_bytes:
        raise InputFileError(
            f"the file is over the limit of {max_bytes:,} bytes",
            code="too_large",
            source=item.source,
        )
    if not content:
        raise InputFileError("the file is empty", code="empty", source=item.source)
    return content


def sha256_hex(content: bytes) -> str:
    """The SHA-256 of ``content`` as 64 hex digits (the cache's and the tables' file identity).

    >>> sha256_hex(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(content).hexdigest()
