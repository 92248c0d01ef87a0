"""The dry-run report: terminal tables, dry_run_report.json, merge_plan.csv and report.html.

`build_report` analyses and writes the files; `print_report` shows the same `DryRunReport`
(`analyze.results`) on the terminal. `report` writes all of them before it exits; `run` asks its
question as soon as the analysis is done and leaves report.html to an `HtmlRenderer` process.
"""

from spotify_merger.report.build import analyse, build_report, planned_master
from spotify_merger.report.renderer import HtmlRenderer
from spotify_merger.report.terminal import print_report

__all__ = ["HtmlRenderer", "analyse", "build_report", "planned_master", "print_report"]
