"""Reading result folders for a report, and the small statistics the report shows.

Intervals (stated in every caption):
- a probability (a 0/1 outcome or a signpost): share of runs, Wilson 95% interval;
- a mean: t-based 95% confidence interval of the mean across runs;
- a paired difference (against the status quo, or between the two sides of one of the
  experiment's ``compare`` pairs): runs paired by replication and seed (common random numbers),
  mean of the differences with its t-based 95% interval; for ``compare`` pairs the numbers of
  ``deterrence summarize`` (``summary/differences``) when they are there and current;
- over time: median, 50% and 90% bands of the runs themselves (spread, not confidence).

One module per part: :mod:`~sim.report.data.results` reads the folders into :class:`Results`;
:mod:`~sim.report.data.labels` names outcomes and their units; :mod:`~sim.report.data.estimates`
holds the statistics. Everything is here by name too (``from sim.report import data as D``;
``D.load_results``, ``D.label``, ``D.mean``).
"""

from sim.report.data.estimates import (
    Comparison,
    Estimate,
    adjust,
    ally_outcomes,
    bands,
    compared,
    compared_by_point,
    comparisons,
    estimate,
    mean,
    paired,
    probability,
    rare,
)
from sim.report.data.labels import (
    ANY,
    IF_ANY,
    INDEX_NOTE,
    display,
    is_index,
    is_probability,
    label,
    parameter_unit,
    short_title,
    unit,
    unit_label,
)
from sim.report.data.results import (
    ALLY_COLUMN,
    KEYS,
    MAX_GROUPS,
    ReportInputError,
    Results,
    beside,
    load_results,
    normalise_sobol,
    read_differences,
    read_sobol,
    sha256_of_sources,
)

__all__ = [
    "ALLY_COLUMN",
    "ANY",
    "IF_ANY",
    "INDEX_NOTE",
    "KEYS",
    "MAX_GROUPS",
    "Comparison",
    "Estimate",
    "ReportInputError",
    "Results",
    "adjust",
    "ally_outcomes",
    "bands",
    "beside",
    "compared",
    "compared_by_point",
    "comparisons",
    "display",
    "estimate",
    "is_index",
    "is_probability",
    "label",
    "load_results",
    "mean",
    "normalise_sobol",
    "paired",
    "parameter_unit",
    "probability",
    "rare",
    "read_differences",
    "read_sobol",
    "sha256_of_sources",
    "short_title",
    "unit",
    "unit_label",
]
