"""Charts for the HTML report, rendered with matplotlib's object API to base64 PNG data URIs.

No pyplot: the Agg canvas is created per figure, so building a report from a notebook never
changes the notebook's own backend, and nothing global is left behind.

Kept cheap (all five in well under a second of CPU): fixed margins instead of `tight_layout`,
which measures every label twice, and plain tick labels on the log axis instead of mathtext.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from spotify_merger.analyze.results import MusicalDna, Overlap, SourceStats

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = ["#1db954", "#3d7bd9", "#e8833a", "#9b59b6", "#e74c3c", "#16a085", "#f1c40f", "#7f8c8d"]
INK = "#222831"
GRID = "#e3e6ea"


def _figure(
    width: float = 7.5, height: float = 3.4, *, left: float = 0.8, bottom: float = 0.55
) -> tuple[Figure, Axes]:
    """A figure with fixed margins, in inches (room for tick labels, axis labels and the title)."""
    # Imported on the first chart, not with the report: matplotlib is by far the report's heaviest
    # import, and `report --no-html` draws no chart at all.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=left / width, right=1 - 0.15 / width, bottom=bottom / height, top=1 - 0.35 / height
    )
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _encode(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _percent(counts: Mapping[str, int], keys: Sequence[str]) -> list[float]:
    """Each key's share of all the counts, in percent (zeros for an empty histogram)."""
    total = sum(counts.values()) or 1
    return [100.0 * counts.get(k, 0) / total for k in keys]


def _grouped_bars(ax: Axes, labels: list[str], series: Mapping[str, Sequence[float]]) -> None:
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, values, width=width, label=name, color=_color(i))
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)


def weight_distribution(sources: list[SourceStats]) -> str:
    """Songs per weight, per source (log scale: weight 1 dwarfs the rest)."""
    fig, ax = _figure()
    weights = sorted({int(w) for s in sources for w in s["weight_distribution"]})
    labels = [str(w) for w in weights] or ["1"]
    series = {s["key"]: [s["weight_distribution"].get(str(w), 0) for w in weights] for s in sources}
    _grouped_bars(ax, labels, series)
    if any(v > 0 for values in series.values() for v in values):
        from matplotlib.ticker import FuncFormatter, NullLocator  # matplotlib only once a chart is drawn

        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.set_xlabel("weight (entries of the song in the playlist)", fontsize=9, color=INK)
    ax.set_ylabel("songs", fontsize=9, color=INK)
    ax.set_title("Weight distribution", fontsize=11, color=INK, loc="left")
    return _encode(fig)


def overlap_chart(overlap: Overlap) -> str:
    """Two sources: one stacked bar (only p1 | both | only p2). More: the largest source combinations."""
    if len(overlap["sources"]) == 2:
        fig, ax = _figure(height=1.9, left=0.3, bottom=0.5)
        parts = [
            ("only p1", overlap["only_p1"], _color(0)),
            ("in both", overlap["in_both"], "#8fa3b8"),
            ("only p2", overlap["only_p2"], _color(1)),
        ]
        left = 0
        total = sum(p[1] for p in parts) or 1
        for label, value, color in parts:
            ax.barh([0], [value], left=left, color=color, height=0.6)
            if value / total > 0.06:
                ax.text(
                    left + value / 2,
                    0,
                    f"{label}\n{value:,}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white",
                )
            left += value
        ax.set_yticks([])
        ax.grid(False)
        ax.set_xlabel("songs", fontsize=9, color=INK)
        ax.set_title(f"Overlap (Jaccard {overlap['jaccard']:.3f})", fontsize=11, color=INK, loc="left")
        return _encode(fig)
    fig, ax = _figure(height=3.6, left=1.6)
    combos = overlap["combinations"][:12]
    labels = ["+".join(c["sources"]) for c in combos]
    ax.barh(range(len(combos)), [c["songs"] for c in combos], color=_color(0))
    ax.set_yticks(range(len(combos)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("songs", fontsize=9, color=INK)
    ax.set_title("Songs by source combination", fontsize=11, color=INK, loc="left")
    return _encode(fig)


def dna_chart(dna: MusicalDna) -> str:
    """Audio-features mode: mean of each 0..1 feature per source. Metadata mode: release decades (share)."""
    sources = [s for s in dna["scopes"] if s != "master"]
    features = dna["audio_features"]
    fig, ax = _figure(bottom=0.8 if features else 0.55)
    if features:
        names = [c["feature"] for c in features["comparison"] if c["feature"] not in ("tempo", "loudness")]
        stats = features["features"]
        means = {s: [(stats[n][s]["mean"] if s in stats[n] else None) or 0.0 for n in names] for s in sources}
        _grouped_bars(ax, names, means)
        ax.set_ylim(0, 1)
        ax.set_ylabel("weighted mean", fontsize=9, color=INK)
        ax.set_title("Musical DNA: audio features by source", fontsize=11, color=INK, loc="left")
        for label in ax.get_xticklabels():
            label.set_rotation(20)
        return _encode(fig)
    meta = dna["metadata"]
    decades = sorted({d for s in sources for d in meta[s]["decades"]})
    series = {s: _percent(meta[s]["decades"], decades) for s in sources}
    _grouped_bars(ax, decades or ["?"], series or {"-": [0.0]})
    ax.set_ylabel("% of entries", fontsize=9, color=INK)
    ax.set_title("Musical DNA: release decades by source", fontsize=11, color=INK, loc="left")
    return _encode(fig)


def duration_chart(dna: MusicalDna) -> str:
    sources = [s for s in dna["scopes"] if s != "master"]
    meta = dna["metadata"]
    buckets = [str(i) for i in range(10)] + ["10+"]
    fig, ax = _figure(height=3.0)
    series = {s: _percent(meta[s]["duration"]["histogram_min"], buckets) for s in sources}
    _grouped_bars(ax, [f"{b}m" for b in buckets], series or {"-": [0.0] * len(buckets)})
    ax.set_ylabel("% of entries", fontsize=9, color=INK)
    ax.set_title("Track lengths (minutes)", fontsize=11, color=INK, loc="left")
    return _encode(fig)


def timeline_chart(dna: MusicalDna) -> str:
    """Entries added per month, per source."""
    sources = [s for s in dna["scopes"] if s != "master"]
    meta = dna["metadata"]
    series = {s: dict(meta[s]["timeline"]) for s in sources}
    months = sorted({m for s in sources for m in series[s]})
    if len(months) > 48:  # monthly counts over many years are mostly noise: sum them by quarter
        series = {s: _by_quarter(t) for s, t in series.items()}
        months = sorted({m for s in sources for m in series[s]})
    fig, ax = _figure(bottom=0.75)
    for i, s in enumerate(sources):
        values = [series[s].get(m, 0) for m in months]
        ax.plot(range(len(months)), values, label=s, color=_color(i), linewidth=1.4)
    step = max(1, len(months) // 10)
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels(months[::step], fontsize=7, rotation=30)
    ax.set_ylabel("entries added", fontsize=9, color=INK)
    ax.set_title("Added over time", fontsize=11, color=INK, loc="left")
    if len(sources) > 1 and months:
        ax.legend(fontsize=8, frameon=False)
    if not months:
        ax.text(0.5, 0.5, "no added dates", transform=ax.transAxes, ha="center", color=INK)
    return _encode(fig)


def _by_quarter(timeline: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for month, n in timeline.items():
        year, mm = month.split("-")
        key = f"{year}-Q{(int(mm) - 1) // 3 + 1}"
        out[key] = out.get(key, 0) + n
    return out
