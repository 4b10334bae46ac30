"""Write tests/golden/trajectory.json: a fixed scenario and seed run for 24 months.

The golden trajectory pins the model's behaviour bit for bit (to 12 significant digits), so any
change to the rules, the monthly process or the draws shows up in tests/test_model.py.
When the model changes ON PURPOSE, regenerate it and commit the new file with the change:

    .venv/bin/python tests/make_golden.py

Never regenerate it just to make a failing test pass without knowing why it changed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.engines.mesa.model import AllianceModel
from sim.model.scenario import Scenario

GOLDEN = Path(__file__).with_name("golden") / "trajectory.json"
SEED = 20260501
MONTHS = 24
SERIES = ("credibility_allies", "credibility_eastern_flank", "russia_belief_us_will", "cohesion",
          "allies_with_deal", "spending_share", "us_troops_europe", "enabler_dependence", "probes")
OUTCOMES = ("deals_max", "cohesion_min", "credibility_final", "russia_belief_final", "probes",
            "probes_unanswered", "incursions", "spending_share_final", "allies_at_pledge_final",
            "capability_ratio_final", "enabler_dependence_final", "us_troops_europe_final",
            "first_probe_month", "first_deal_month")
ALLIES = ("DEU", "POL", "EST")


def golden_scenario() -> Scenario:
    """Germany -5,000 to home, a conditional guarantee, a Polish basing deal, an EU decision."""
    return Scenario(
        name="golden", title="Golden trajectory", horizon_months=MONTHS,
        events=[
            {"kind": "withdrawal", "id": "germany", "host": "DEU", "troops": 5000, "month": "2026-06",
             "duration_months": 9},
            {"kind": "guarantee", "id": "conditional", "conditional": True, "threshold": 3.5,
             "strictness": 1.0, "month": "2026-09"},
            {"kind": "basing_deal", "id": "poland", "host": "POL", "troops": 2000, "price": 0.5,
             "month": "2027-01"},
            {"kind": "eu_budget", "id": "eu", "multiplier": 2.0, "month": "2027-03"},
        ],
    )


def sig12(x: float) -> float | None:
    """Round to 12 significant digits; NaN becomes None (JSON has no NaN)."""
    x = float(x)
    return None if math.isnan(x) else float(f"{x:.12g}")


def trajectory() -> dict:
    """The run's summary in the golden file's layout, every number rounded by :func:`sig12`."""
    model = AllianceModel(golden_scenario(), rng=SEED)
    model.run_for(MONTHS)
    series = model.timeseries()
    outcomes = model.outcomes()
    return {
        "seed": SEED,
        "months": MONTHS,
        "parameters": {k: sig12(model.values[k]) for k in sorted(model.values)},
        "series": {k: [sig12(v) for v in series[k][:MONTHS]] for k in SERIES},
        "outcomes": {k: sig12(outcomes[k]) for k in OUTCOMES},
        "allies": {c: {"share": sig12(model.ally(c).share), "credibility": sig12(model.ally(c).credibility),
                       "us_troops": sig12(model.ally(c).us_troops),
                       "capability": sig12(model.ally(c).capability)} for c in ALLIES},
        "troops_home": sig12(model.patron.troops_home),
        "events": [list(e) for e in model.events.log],
    }


def main() -> None:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(trajectory(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
