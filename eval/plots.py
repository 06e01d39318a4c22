"""Report plots (matplotlib, Agg backend): each task's main metric with 95% CI error bars.

- `metric_by_task.png`: every run of every task;
- `modes.png`: closed vs RAG vs retrieval-only for each task and generator;
- `baselines.png`: ours vs MIRAGE's systems scored on the same items, with the published numbers as marks.

A metric nothing could score is left out of a plot (never drawn as zero or NaN).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.report import Report, RunView


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _main_metric(view: RunView) -> tuple[str, dict[str, Any]] | None:
    for key, summary in view.summary.get("metrics", {}).items():
        return (key, summary) if summary.get("value") is not None else None
    return None


def _errors(summaries: list[dict[str, Any]]) -> list[list[float]]:
    low = [max(0.0, s["value"] - (s["ci_low"] if s.get("ci_low") is not None else s["value"])) for s in summaries]
    high = [max(0.0, (s["ci_high"] if s.get("ci_high") is not None else s["value"]) - s["value"]) for s in summaries]
    return [low, high]


def _bars(
    ax: Any,
    labels: list[str],
    summaries: list[dict[str, Any]],
    title: str,
    ylabel: str,
    colors: list[str] | None = None,
) -> None:
    xs = list(range(len(labels)))
    ax.bar(xs, [s["value"] for s in summaries], yerr=_errors(summaries), capsize=4, color=colors or "#4c72b0")
    ax.set_xticks(xs, labels, rotation=30, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(1.0, max((s.get("ci_high") or s["value"]) for s in summaries) * 1.05))


def _save(fig: Any, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=110)
    _pyplot().close(fig)
    return name


def plot_by_task(report: Report, out_dir: Path) -> str | None:
    """One panel per task: every run's main metric with its CI."""
    panels = []
    for section in report.tasks.values():
        found = [(report.runs[i], _main_metric(report.runs[i])) for i in section.runs]
        kept = [(v, m) for v, m in found if m is not None]
        if kept:
            panels.append((section.task, kept))
    if not panels:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1, 3.8), squeeze=False)
    for ax, (task, kept) in zip(axes[0], panels, strict=True):
        _bars(ax, [v.label for v, _ in kept], [m for _, (_, m) in kept], task, kept[0][1][0])
    return _save(fig, out_dir, "metric_by_task.png")


def plot_modes(report: Report, out_dir: Path) -> str | None:
    """Grouped bars, one group per task: its runs ordered closed, RAG, retrieval-only, with CIs."""
    groups: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []
    for section in report.tasks.values():
        views = [report.runs[i] for i in section.runs]  # already ordered closed, RAG, retrieval-only
        kept = [(v.label, main[1]) for v in views if (main := _main_metric(v)) is not None]
        if kept:
            groups.append((section.task, kept))
    if not groups:
        return None
    labels = list(dict.fromkeys(label for _, kept in groups for label, _ in kept))
    colors = {label: f"C{n % 10}" for n, label in enumerate(labels)}
    widest = max(len(kept) for _, kept in groups)
    width = 0.8 / widest
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.5 * sum(len(kept) for _, kept in groups) + 3), 4.0))
    drawn: set[str] = set()
    for i, (_, kept) in enumerate(groups):
        for j, (label, summary) in enumerate(kept):
            x = i + (j - (len(kept) - 1) / 2) * width
            ax.bar(
                [x],
                [summary["value"]],
                width,
                yerr=_errors([summary]),
                capsize=3,
                color=colors[label],
                label=None if label in drawn else label,
            )
            drawn.add(label)
    ax.set_xticks(list(range(len(groups))), [task for task, _ in groups], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("main metric")
    ax.set_title("Closed vs RAG vs retrieval-only", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out_dir, "modes.png")


def plot_baselines(report: Report, out_dir: Path) -> str | None:
    """Per task with baselines: our runs and MIRAGE's systems on our items; published numbers as marks."""
    panels = [s for s in report.tasks.values() if s.baselines or s.published]
    if not panels:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels) + 1, 4.2), squeeze=False)
    for ax, section in zip(axes[0], panels, strict=True):
        labels, sums, colors = [], [], []
        for i in section.runs:
            main = _main_metric(report.runs[i])
            if main is not None:
                labels.append(f"ours: {report.runs[i].label}")
                sums.append(main[1])
                colors.append("#4c72b0")
        scopes = {b["scope"] for b in section.baselines}
        scope = "our items" if "our items" in scopes else "all"
        for b in section.baselines:
            if b["scope"] == scope and b["summary"].get("value") is not None:
                labels.append(f"{b['system'].replace(' (MIRAGE predictions)', '')} ({scope})")
                sums.append(b["summary"])
                colors.append("#8c8c8c")
        if sums:
            _bars(ax, labels, sums, section.task, "accuracy", colors)
        styles = ["--", ":", "-.", (0, (5, 1))]
        for k, (name, value) in enumerate(section.published.items()):
            ax.axhline(value, linestyle=styles[k % len(styles)], linewidth=0.9, color=f"C{3 + k}", label=name)
        if section.published:
            ax.legend(title="published", fontsize=6, title_fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out_dir, "baselines.png")


def write_plots(report: Report, out_dir: Path) -> list[str]:
    """Write every plot that has data; returns the file names."""
    out_dir = Path(out_dir)
    made = [plot(report, out_dir) for plot in (plot_by_task, plot_modes, plot_baselines)]
    return [name for name in made if name]
