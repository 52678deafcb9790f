"""The ``ocrframe`` command: a thin shell over the library."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="ocrframe")
def main() -> None:
    """ocrframe: documents in a folder -> tidy DataFrames and Parquet."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free).")
@click.option("--latency-ms", default=0.0, type=float, help="Delay added to every API answer.")
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of faults.")
@click.option("--seed", default=None, type=int, help="Seed of the fault choice.")
@click.option(
    "--fault-kinds",
    default=None,
    help="Comma-separated fault kinds to inject (default: all; see ocrframe.engine.faults).",
)
@click.option(
    "--fault-timeout-s", default=150.0, type=float, help="How long a 'timeout' fault stalls."
)
@click.option(
    "--docai-key",
    envvar="OCRFRAME_ENGINE_DOCAI_KEY",
    default=None,
    help="Bearer key the server requires (env OCRFRAME_ENGINE_DOCAI_KEY); none: any.",
)
@click.option(
    "--capsolver-key",
    envvar="OCRFRAME_ENGINE_CAPSOLVER_KEY",
    default=None,
    help="clientKey the server requires (env OCRFRAME_ENGINE_CAPSOLVER_KEY); none: any.",
)
@click.option("--max-body-mb", default=50.0, type=float, show_default=True, help="Body cap.")
@click.option("--workers", default=None, type=int, help="Recognition threads (default: cores).")
def serve(
    host: str,
    port: int,
    latency_ms: float,
    fault_rate: float,
    seed: int | None,
    fault_kinds: str | None,
    fault_timeout_s: float,
    docai_key: str | None,
    capsolver_key: str | None,
    max_body_mb: float,
    workers: int | None,
) -> None:
    """Serve the embedded engine (DocAI and CapSolver wire formats) on HOST:PORT."""
    from ocrframe.errors import OcrframeError

    try:
        from ocrframe.engine.app import EngineConfig
        from ocrframe.engine.app import serve as serve_engine
    except ImportError as exc:
        raise click.ClickException(
            "the engine needs its extra: pip install 'ocrframe[engine]'"
        ) from exc
    try:
        config = EngineConfig(
            docai_key=docai_key or None,
            capsolver_key=capsolver_key or None,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            seed=seed,
            fault_kinds=tuple(k.strip() for k in fault_kinds.split(",") if k.strip())
            if fault_kinds
            else None,
            fault_timeout_s=fault_timeout_s,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            workers=workers,
        )
        serve_engine(
            config,
            host=host,
            port=port,
            on_listening=lambda url: click.echo(f"ocrframe engine listening on {url}"),
        )
    except (OcrframeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
