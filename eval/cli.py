"""`clinicalgpt eval …`: list, validate and run evaluation tasks, and compare reports.

Registered into the product CLI through the `clinicalgpt.cli` entry-point group (see pyproject.toml),
so that the model layer never imports this package.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Evaluate the assistant: tasks, runs and reports.", no_args_is_help=True, rich_markup_mode=None)


@app.command("ls")
def ls() -> None:
    """List the shipped evaluation tasks."""
    typer.echo("no tasks yet")
