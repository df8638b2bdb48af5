"""`mlops compare`: champion vs challenger on the same locked evaluation rows, as JSON and an HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from ml.commands.base import Context, pass_context, shared_options


@click.command()
@click.option("--champion", type=int, required=True, help="Version serving now (or any earlier one).")
@click.option("--challenger", type=int, required=True, help="Version that would replace it.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where comparison.json and report.html go [<work_dir>/comparisons/v<N>-vs-v<M>].",
)
@shared_options
@pass_context
def compare(obj: Context, champion: int, challenger: int, output_dir: Path | None) -> None:
    """Paired comparison on the locked evaluation set: AUC, sensitivity, specificity, Brier, 95% CIs."""
    from ml.orchestration.services import build_scores_reader
    from ml.registry.comparison import verdict_line
    from ml.registry.comparison_report import comparison_folder, write_version_comparison
    from ml.render import render_table

    config, registry = obj.registry()
    workspace = obj.workspace(config)
    first, second = (registry.get(config.model_group, number) for number in (champion, challenger))
    margin = config.governance.non_inferiority_margin
    target = output_dir or comparison_folder(workspace.root, champion, challenger)
    comparison, report = write_version_comparison(
        first, second, build_scores_reader(config, workspace), margin, target
    )
    summary = verdict_line(comparison, margin)
    rows = [
        (
            name,
            f"{d.champion:.3f}",
            f"{d.challenger:.3f}",
            f"{d.difference:+.3f} [{d.low:+.3f}, {d.high:+.3f}]",
        )
        for name in ("auc", "sensitivity", "specificity", "brier")
        for d in [getattr(comparison, name)]
    ]
    header = ("metric", f"v{champion}", f"v{challenger}", "difference [95% CI]")
    click.echo(f"{summary}\n\n{render_table(rows, header)}\n\nreport: {report}")
