"""The report's figures. Each function draws one figure from :class:`Results`, saves it as PNG
and PDF, and returns a :class:`Figure` with its caption (what is shown, runs, interval).

One module per family of figures, and one for what they share:

- :mod:`~sim.report.figures.common`: the page's width, the intervals captions name, the
  :class:`Figure`, fitting text, the groups' colours and markers, legends, saving;
- :mod:`~sim.report.figures.fans`: fan charts of the monthly series;
- :mod:`~sim.report.figures.forests`: probabilities and means with their intervals, their
  differences from the status quo, and the experiment's paired comparisons;
- :mod:`~sim.report.figures.sensitivity`: heatmaps over two swept parameters, Sobol indices;
- :mod:`~sim.report.figures.maps`: tile maps of the allies;
- :mod:`~sim.report.figures.odds`: the signposts' simulated probabilities beside market prices.

Everything the report and the tests use is here by name too (``from sim.report.figures import
fan_charts``).
"""

from sim.report.figures.common import (
    INTERVAL_MEAN,
    INTERVAL_PAIRED,
    INTERVAL_PROBABILITY,
    MAX_HEIGHT,
    PANELS_PER_ROW,
    WIDTH,
    Figure,
    axis_unit,
    fit,
    group_colours,
    group_marker,
    group_title,
    layout_problems,
    pages_of,
    runs_phrase,
    save,
    text_width,
)
from sim.report.figures.fans import FAN_TOPICS, fan_chart, fan_charts
from sim.report.figures.forests import (
    LABEL_MAX_WIDTH,
    LABEL_SIZE,
    LEGEND_MAX_ENTRIES,
    ROW_PITCH,
    Row,
    comparison_outcomes,
    comparison_rows,
    comparisons_to_plot,
    forest_means,
    forest_probabilities,
    group_rows,
    mean_outcomes,
    paired_differences,
    panel_forest,
    probability_outcomes,
)
from sim.report.figures.maps import (
    ALLY_METRICS,
    MAP_METRICS,
    TILE_GRID,
    ally_map,
    ally_map_metrics,
    ally_maps,
    ally_maps_of,
    join_ally_maps,
    map_metrics,
    map_values,
)
from sim.report.figures.odds import odds_figure
from sim.report.figures.sensitivity import (
    HEATMAP_OUTCOMES,
    ID_DESIGN_COLUMNS,
    design_factors,
    heatmap,
    heatmap_differences,
    sobol_bars,
    sweep_cells,
)

__all__ = [
    "ALLY_METRICS",
    "FAN_TOPICS",
    "HEATMAP_OUTCOMES",
    "ID_DESIGN_COLUMNS",
    "INTERVAL_MEAN",
    "INTERVAL_PAIRED",
    "INTERVAL_PROBABILITY",
    "LABEL_MAX_WIDTH",
    "LABEL_SIZE",
    "LEGEND_MAX_ENTRIES",
    "MAP_METRICS",
    "MAX_HEIGHT",
    "PANELS_PER_ROW",
    "ROW_PITCH",
    "TILE_GRID",
    "WIDTH",
    "Figure",
    "Row",
    "ally_map",
    "ally_map_metrics",
    "ally_maps",
    "ally_maps_of",
    "axis_unit",
    "comparison_outcomes",
    "comparison_rows",
    "comparisons_to_plot",
    "design_factors",
    "fan_chart",
    "fan_charts",
    "fit",
    "forest_means",
    "forest_probabilities",
    "group_colours",
    "group_marker",
    "group_rows",
    "group_title",
    "heatmap",
    "heatmap_differences",
    "join_ally_maps",
    "layout_problems",
    "map_metrics",
    "map_values",
    "mean_outcomes",
    "odds_figure",
    "pages_of",
    "paired_differences",
    "panel_forest",
    "probability_outcomes",
    "runs_phrase",
    "save",
    "sobol_bars",
    "sweep_cells",
    "text_width",
]
