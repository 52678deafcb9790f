"""The limits on what one file, one answer or one request may cost: every default in one place.

A hostile or broken input (a 141-byte PNG of 65535×1 pixels, a PDF whose pages draw themselves,
an answer that inflates to a gigabyte or nests 100,000 levels deep, a server that drips one byte a
second) must end as a clear, bounded outcome: a typed error, a ``failed`` row. The client, the
embedded engine and its server share these values, so the same input meets the same limit
wherever it is read.

Each is read when it is used, so assigning a new value changes it for the whole process::

    import ocrframe.limits
    ocrframe.limits.MAX_PAGES = 10_000      # PDFs of up to 10,000 pages

and the ones that belong to one client or one server can also be given there: a client's
``timeout``, ``max_answer_bytes`` and ``max_json_depth``; ``extract(request_timeout=...)``;
``ocrframe serve --max-pages --max-body-mb --body-timeout-s --header-timeout-s
--max-connections``. The README's "Limits" table lists them all.
"""

from __future__ import annotations

__all__ = [
    "FILE_TIMEOUT_S",
    "MAX_ANSWER_BYTES",
    "MAX_ASPECT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_FORM_DRAWS",
    "MAX_JSON_DEPTH",
    "MAX_PAGES",
    "MAX_PIXELS",
    "SERVER_BODY_TIMEOUT_S",
    "SERVER_HEADER_TIMEOUT_S",
    "SERVER_RESULT_TTL_S",
    "SERVER_UNPOLLED_TIMEOUT_S",
]

#: Pages a page selection may name, and pages one file may have.
MAX_PAGES = 2_000

#: Pixels of one image or rendered page (Pillow refuses twice its own default; this is lower:
#: 50 million RGB pixels are 150 MB before any copy).
MAX_PIXELS = 50_000_000

#: How many times longer than the other one side of an image or page may be: OCR scales a line
#: to a fixed height, so a 65535×1 image would become a multi-gigabyte tensor.
MAX_ASPECT = 100

#: Form XObjects one PDF page may draw, counting forms within forms with their repeats.
MAX_FORM_DRAWS = 10_000

#: Seconds one file may take: past it, its pages not yet sent (CapSolver) are failed rows.
FILE_TIMEOUT_S = 1800.0

#: Bytes of one answer, counted after decompression (the body as the client decodes it).
MAX_ANSWER_BYTES = 64 * 1024 * 1024

#: Nesting depth of an answer's JSON (DocAI's deepest documented answer nests under ten).
MAX_JSON_DEPTH = 256

#: The server's cap on a request body (what ``ocrframe serve --max-body-mb`` sets).
MAX_BODY_BYTES = 50 * 1024 * 1024

#: Seconds the server waits for a request's whole body once its headers are in.
SERVER_BODY_TIMEOUT_S = 60.0

#: Seconds the server waits for a request's headers (from the connection's start, or from the end
#: of the previous answer on a kept-alive connection).
SERVER_HEADER_TIMEOUT_S = 15.0

#: Connections the server holds at once; past it, the longest-idle connection is closed first.
MAX_CONNECTIONS = 512

#: Seconds an asynchronous DocAI job may go without an identifyResult poll before the embedded
#: engine cancels it (eight times the batch client's longest wait between polls).
SERVER_UNPOLLED_TIMEOUT_S = 120.0

#: Seconds the embedded engine keeps a finished answer for identifyResult / getTaskResult.
SERVER_RESULT_TTL_S = 3600.0
