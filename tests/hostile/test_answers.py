"""Hostile answers over a real socket: dripped, inflating, huge, deep, echoing the key, cut.

Each ends as a typed :class:`~ocrframe.errors.OcrframeError` (or a ``failed`` row) within its
limit; the memory cases run in a child process whose address space is capped.
"""

from __future__ import annotations

import asyncio
import json
import struct
import traceback
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import ocrframe
from ocrframe import errors
from ocrframe.services.capsolver import AsyncCapSolverClient
from ocrframe.services.docai import AsyncDocAIClient, DocAIClient
from tests.hostile.conftest import (
    HostileServer,
    Request,
    answer_head,
    json_answer,
    run_bounded,
)

KEY = "dk-HOSTILE-canary-7c1e94"
CAP_KEY = "CAP-HOSTILE-canary-2b80"
BOUND = 60.0  # a regression fails here instead of hanging; never reached when fixed
Start = Callable[..., HostileServer]


def _drip(data: bytes, pause: float = 0.05) -> Callable[[Request, asyncio.StreamWriter], object]:
    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(pause)  # the hostile server's pace, not a wait of the test

    return script


@pytest.mark.parametrize("where", ["headers", "body"])
async def test_a_dripping_answer_meets_the_request_deadline(
    hostile_server: Start, where: str
) -> None:
    body = json.dumps({"code": 200, "data": []}).encode() * 200
    whole = answer_head(200, {"Content-Type": "application/json", "X-Pad": "p" * 2000}, len(body))
    server = hostile_server(_drip(whole + body if where == "headers" else b""))
    if where == "body":

        async def script(request: Request, writer: asyncio.StreamWriter) -> None:
            writer.write(whole)
            await _drip(body)(request, writer)  # type: ignore[misc]

        server.script = script
    async with AsyncDocAIClient(KEY, base_url=server.url, timeout=1) as client:
        with pytest.raises(errors.TransportError) as info:
            await asyncio.wait_for(client.list_models(), BOUND)
    assert "within 1 s" in str(info.value) and info.value.retryable


async def test_a_dripping_server_gives_a_failed_row_not_a_hang(
    hostile_server: Start, tmp_path: Path
) -> None:
    server = hostile_server(_drip(answer_head(200, {"X-Pad": "p" * 5000}, 2) + b"{}"))
    (tmp_path / "a.png").write_bytes(_png())
    ex = await asyncio.wait_for(
        ocrframe.extract_async(
            tmp_path,
            service="docai",
            model="m",
            api_key=KEY,
            base_url=server.url,
            request_timeout=0.5,
            retries=2,
            retry_timeout=2,
            cache=False,
            progress=False,
        ),
        BOUND,
    )
    row = ex.documents.iloc[0]
    assert (row["status"], row["error_code"]) == ("failed", "TransportError")
    assert "within 0.5 s" in row["error_message"]


def gzip_bomb(mib: int = 1024) -> bytes:
    """A valid gzip stream of ``mib`` MiB of zeros in about 1 KB per MiB (built, not compressed:
    full-flushed blocks of zeros are identical, so one is repeated)."""
    maker = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    first = maker.compress(zeros) + maker.flush(zlib.Z_FULL_FLUSH)
    block = maker.compress(zeros) + maker.flush(zlib.Z_FULL_FLUSH)
    crc = 0x5B64C2B0 if mib == 1024 else zlib.crc32(bytes(mib << 20))
    final_empty_block = b"\x03\x00"
    return (
        first
        + block * (mib - 1)
        + final_empty_block
        + struct.pack("<II", crc, mib << 20 & 0xFFFFFFFF)
    )


def test_the_gzip_bomb_is_what_it_claims() -> None:
    bomb = gzip_bomb(4)
    assert zlib.decompress(bomb, 31) == bytes(4 << 20)
    assert len(gzip_bomb()) < 1_100_000


async def test_an_inflating_answer_is_refused_at_the_limit(hostile_server: Start) -> None:
    bomb = gzip_bomb()
    head = answer_head(
        200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, len(bomb)
    )

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head + bomb)

    server = hostile_server(script)
    async with AsyncDocAIClient(KEY, base_url=server.url, max_answer_bytes=4 << 20) as client:
        with pytest.raises(errors.ResponseLimitError) as info:
            await asyncio.wait_for(client.list_models(), BOUND)
    assert info.value.code == "answer_too_large" and not info.value.retryable
    assert "once decompressed" in str(info.value)


@pytest.mark.parametrize("declared", [True, False])
async def test_a_huge_answer_is_refused_on_the_wire(hostile_server: Start, declared: bool) -> None:
    size = 100 * 1024 * 1024

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        if declared:
            writer.write(answer_head(200, {"Content-Type": "application/json"}, size))
            return
        writer.write(answer_head(200, {"Connection": "close"}, None))
        for _ in range(size // 65536):  # no length: read until the limit, never the whole
            writer.write(b" " * 65536)
            await writer.drain()

    server = hostile_server(script)
    async with AsyncDocAIClient(KEY, base_url=server.url, max_answer_bytes=1 << 20) as client:
        with pytest.raises(errors.ResponseLimitError) as info:
            await asyncio.wait_for(client.list_models(), BOUND)
    assert "on the wire" in str(info.value)


def test_a_gzip_bomb_with_default_limits_stays_within_memory(hostile_server: Start) -> None:
    bomb = gzip_bomb()
    head = answer_head(
        200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, len(bomb)
    )

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head + bomb)

    server = hostile_server(script)
    out = run_bounded(
        f"""
        from ocrframe.services.docai import DocAIClient
        from ocrframe.errors import ResponseLimitError
        with DocAIClient("k-bounded", base_url={server.url!r}) as client:
            for _ in range(2):  # twice: nothing is kept from the first
                try:
                    client.list_models()
                except ResponseLimitError as exc:
                    print(exc.code)
        """
    )
    assert out.count("answer_too_large") == 2


def test_a_deep_answer_is_a_typed_error_from_the_blocking_client(hostile_server: Start) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer_head(200, {"Content-Type": "application/json"}, len(deep)) + deep)

    server = hostile_server(script)
    with (
        DocAIClient(KEY, base_url=server.url) as client,
        pytest.raises(errors.ResponseLimitError) as info,
    ):
        client.list_models()
    assert info.value.code == "answer_too_deep"
    with (
        DocAIClient(KEY, base_url=server.url, max_json_depth=200_000) as client,
        pytest.raises(errors.ResponseLimitError),
    ):
        client.list_models()  # past what the parser can nest: still typed, never RecursionError


def test_a_moderately_deep_answer_is_held_to_the_depth_limit(hostile_server: Start) -> None:
    deep = json.dumps({"code": 200, "data": [{"modelId": "m", "x": [[[[[[1]]]]]]}]}).encode()

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(answer_head(200, {"Content-Type": "application/json"}, len(deep)) + deep)

    server = hostile_server(script)
    with (
        DocAIClient(KEY, base_url=server.url, max_json_depth=5) as client,
        pytest.raises(errors.ResponseLimitError),
    ):
        client.list_models()
    with DocAIClient(KEY, base_url=server.url, max_json_depth=20) as client:
        assert client.list_models()[0]["modelId"] == "m"


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _texts(ex: ocrframe.Extraction) -> str:
    return "\n".join(
        frame.to_csv() for frame in (ex.documents, ex.fields, ex.items, ex.taxes, ex.texts)
    )


def _everything(exc: BaseException) -> str:
    """Every text an error can show: str, repr and the whole formatted chain, each link's repr."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        parts += [repr(link), str(link), repr(vars(link)) if hasattr(link, "__dict__") else ""]
        link = link.__cause__ or link.__context__
    return "\n".join(parts)


async def test_a_key_echoed_in_code_and_request_id_is_redacted_everywhere(
    hostile_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            json_answer(
                {
                    "errorId": 1,
                    "errorCode": f"ERROR_{CAP_KEY}",
                    "errorDescription": f"clientKey {CAP_KEY} is odd",
                    "requestId": CAP_KEY,
                },
                status=400,
            )
        )

    server = hostile_server(script)
    async with AsyncCapSolverClient(CAP_KEY, base_url=server.url) as client:
        with pytest.raises(errors.ServiceError) as info:
            await client.image_to_text(_png(), source="a.png")
    assert CAP_KEY not in _everything(info.value)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(_png())
    ex = await ocrframe.extract_async(
        tmp_path / "in",
        service="capsolver",
        model="common",
        api_key=CAP_KEY,
        base_url=server.url,
        retries=1,
        cache=tmp_path / "cache.sqlite3",
        out=tmp_path / "out",
        progress=False,
    )
    assert ex.documents["status"].tolist() == ["failed"]
    assert CAP_KEY not in _texts(ex)
    stored = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    stored += (tmp_path / "cache.sqlite3").read_bytes()
    assert CAP_KEY.encode() not in stored
    assert CAP_KEY not in caplog.text


async def test_fields_echoing_the_key_agree_in_tables_cache_and_parquet(
    hostile_server: Start, tmp_path: Path
) -> None:
    answer = {
        "code": 200,
        "message": None,
        "requestId": f"rid-{KEY}",
        "data": {
            "fileId": "f1",
            "recognizeStatus": "1",
            "result": {"fieldList": [{"pageNumber": 1, "key": "note", "value": f"k={KEY}"}]},
        },
    }

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(json_answer(answer))

    server = hostile_server(script)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(_png())
    options = {
        "service": "docai",
        "model": "m",
        "api_key": KEY,
        "base_url": server.url,
        "cache": tmp_path / "cache.sqlite3",
        "progress": False,
    }
    live = await ocrframe.extract_async(tmp_path / "in", **options)  # type: ignore[arg-type]
    cached = await ocrframe.extract_async(tmp_path / "in", **options)  # type: ignore[arg-type]
    assert live.fields["value"].tolist() == ["k=***"]
    assert cached.fields["value"].tolist() == live.fields["value"].tolist()
    live.to_parquet(tmp_path / "out")
    back = ocrframe.read_parquet(tmp_path / "out")
    assert back.fields["value"].tolist() == ["k=***"]
    assert KEY not in _texts(live) + _texts(cached) + _texts(back)


async def test_a_cut_answer_through_aiohttp_shows_no_authorization_header(
    hostile_server: Start,
) -> None:
    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        writer.write(answer_head(200, {"Content-Type": "application/json"}, 1000) + b'{"code"')
        writer.close()

    server = hostile_server(script)
    async with AsyncDocAIClient(KEY, base_url=server.url) as client:
        with pytest.raises(errors.TransportError) as info:
            await client.list_models()
    shown = _everything(info.value)
    assert KEY not in shown
    assert "Payload" in shown or "payload" in shown  # the cause still names what happened


@pytest.mark.parametrize("key", ["clé-secrète-42", "key with space", "key-with-newline\n"])
def test_a_key_no_request_can_carry_is_a_configuration_error(key: str) -> None:
    for client_class in (DocAIClient, ocrframe.CapSolverClient):
        with pytest.raises(errors.ConfigurationError) as info:
            client_class(key, base_url="http://127.0.0.1:9")
        assert key.strip() not in _everything(info.value)
        assert "not printable ASCII" in str(info.value)


def test_a_key_echoed_by_the_server_never_reaches_the_cli_output(
    hostile_server: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ocrframe.cli import main

    async def script(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            json_answer(
                {"errorId": 1, "errorCode": CAP_KEY, "errorDescription": f"bad {CAP_KEY}"},
                status=400,
            )
        )

    server = hostile_server(script)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(_png())
    monkeypatch.setenv("CAPSOLVER_API_KEY", CAP_KEY)
    result = CliRunner().invoke(
        main,
        [
            "extract", str(tmp_path / "in"), "--service", "capsolver", "--model", "common",
            "--out", str(tmp_path / "out"), "--base-url", server.url, "--retries", "1",
            "--no-cache", "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "a.png" in result.output and "***" in result.output
    assert CAP_KEY not in result.output
