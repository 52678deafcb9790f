"""The limits on what one file, one answer or one request may cost: every default in one place.

A hostile or broken input (a 141-byte PNG of 65535×1 pixels, a PDF whose pages draw themselves,
an answer that inflates to a gigabyte or nests 100,000 levels deep, a server that drips one byte a
second) must end as a clear, bounded outcome. The client, the embedded engine and its server
share these defaults, so the same input meets the same limit wherever it is read. Each can be
changed where it is used (an argument of the client, an option of the run, a flag of ``serve``);
the README's "Limits" table lists them.
"""

from __future__ import annotations

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_ASPECT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_FORM_DRAWS",
    "MAX_JSON_DEPTH",
    "MAX_PAGES",
    "MAX_PIXELS",
    "REQUEST_DEADLINE_S",
    "SERVER_BODY_TIMEOUT_S",
    "SERVER_HEADER_TIMEOUT_S",
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

#: Bytes of one answer, counted after decompression (the body as the client decodes it).
MAX_ANSWER_BYTES = 64 * 1024 * 1024

#: Nesting depth of an answer's JSON (DocAI's deepest documented answer nests under ten).
MAX_JSON_DEPTH = 256

#: Seconds one request may take from sending its first byte to reading its answer's last, when
#: the caller gives no ``timeout``: a server that drips an answer ends here, not never.
REQUEST_DEADLINE_S = 300.0

#: The server's cap on a request body (what ``ocrframe serve --max-body-mb`` sets).
MAX_BODY_BYTES = 50 * 1024 * 1024

#: Seconds the server waits for a request's whole body once its headers are in.
SERVER_BODY_TIMEOUT_S = 60.0

#: Seconds the server waits for a request's headers (from the connection's start, or from the end
#: of the previous answer on a kept-alive connection).
SERVER_HEADER_TIMEOUT_S = 15.0

#: Connections the server holds at once; past it, the longest-idle connection is closed first.
MAX_CONNECTIONS = 512
