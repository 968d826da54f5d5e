"""``geo-service load LAYER PATH`` and ``load sample``: files into the database, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings
from geo_service.ingest import LAYERS, IngestError


@click.command("load")
@click.argument("layer", type=click.Choice([*LAYERS, "osm", "sample"]))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--crs", help="CRS of the file: any EPSG code (4326, EPSG:2868) or gcj02.")
@click.option("--encoding", help="Text encoding of attribute tables, e.g. GBK.")
@click.option("--source-layer", help="Layer to read inside a multi-layer file.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid features, list the rest.")
@click.option("--community", help="The community the data belongs to (made on first use; "
                                   "default: the stored community the file lies in).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every rejected, skipped, repaired or left-out feature to this CSV.")
@click.pass_obj
def load(settings: Settings, layer: str, path: Path | None, crs: str | None,
         encoding: str | None, source_layer: str | None, skip_invalid: bool,
         community: str | None, report_path: Path | None) -> None:
    """Load a file as LAYER (grids, buildings, streets, lights, cameras, hazards, osm),
    or the sample community with ``load sample``. One transaction: all or nothing."""
    from geo_service.ingest.report import report_rows, write_report
    from geo_service.load import load_file, load_sample

    engine = ready_engine(settings)
    if layer == "sample":
        summaries = load_sample(engine, settings.sample_dir,
                                community_name=community or settings.community_name,
                                progress=echo_err)
    else:
        if path is None:
            raise click.UsageError(f"load {layer} needs a PATH")
        try:
            summaries = load_file(engine, layer, path, community_name=settings.community_name,
                                  community=community, crs=crs, encoding=encoding,
                                  source_layer=source_layer,
                                  skip_invalid=skip_invalid, progress=echo_err)
        except IngestError as error:
            if report_path is not None:  # nothing was stored; the report says why, all of it
                write_report(report_path, report_rows(layer, error.problems))
                echo_err(f"every finding is listed in {report_path}")
            raise
    if report_path is not None:
        written = write_report(report_path, [row for s in summaries for row in report_rows(
            s.layer, s.problems, s.left_out)])
        echo_err(f"{written} findings written to {report_path}")
    for summary in summaries:
        for line in summary.lines(report=None if report_path is None else str(report_path)):
            click.echo(line)
