"""The report for officials: ``report.html`` (self-contained, printable) and ``units.xlsx``.

The report gives the headline figures, the policy targets, the unit tables, the
station table with staffing, the gap list, the maps (embedded PNG) and the model's
assumptions (speeds, access legs, data sources and their dates), in Chinese or
English. It needs nothing from the network: styles are inline, images are data URLs.

Tables show the columns a result has: those the metrics add (verdicts, targets,
staffing, services, gaps) appear when present. Each section of the page is one
function in :mod:`.sections` (listed in :data:`.sections.SECTIONS`); the tables and
their formatting are in :mod:`.tables`, the labels in :mod:`.text`, the workbook in
:mod:`.xlsx`.
"""

from __future__ import annotations

from .page import report_html, write_report
from .tables import report_tables
from .xlsx import write_units_xlsx

__all__ = ["report_html", "report_tables", "write_report", "write_units_xlsx"]
