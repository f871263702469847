"""hiili.footprint: an organisation's carbon footprint from its activity data.

    from hiili.footprint import footprint, write_report
    result = footprint("activity.csv", "USEEIOv2.0-GHG/", measures="measures.csv",
                       iterations=1000, seed=0)
    result.totals, result.by_scope, result.by_category, result.year_on_year, result.measures
    write_report(result, "report.html", "Our school")

Activity data (kWh, litres, km, kg, USD...) are mapped to input-output sectors with the
shipped mapping (data/mapping_useeio_v2.csv, every price and factor with its source) and
evaluated on one extended model, with explicit uncertainty and common random numbers.
The command line is ``hiili footprint`` (or ``python -m hiili.footprint``); the formats are
in docs/footprint.md.
"""

from .activity import read_activity
from .compute import FootprintResult, footprint, part_demands
from .foreground import FootprintModel, build
from .mapping import Mapping, load_mapping
from .measures import Measure, read_measures
from .report import (
    figure_contributions,
    figure_measures,
    figure_scopes,
    figure_year_on_year,
    render,
    write_report,
)

__all__ = [
    "FootprintModel",
    "FootprintResult",
    "Mapping",
    "Measure",
    "build",
    "figure_contributions",
    "figure_measures",
    "figure_scopes",
    "figure_year_on_year",
    "footprint",
    "load_mapping",
    "part_demands",
    "read_activity",
    "read_measures",
    "render",
    "write_report",
]
