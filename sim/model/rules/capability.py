"""Accumulation: capability stocks, enabler dependence, income.

Sources: perpetual-inventory capital accumulation (Goldsmith 1951) applied to military
capability, with procurement lags (Sandler and Hartley 1995, *The Economics of Defense*, ch. 5);
the sovereign command-and-control programme follows Germany's 'Sparta 2.0' (10-15 years).
"""

from __future__ import annotations

import numpy as np


def accumulate(stock, delivered, depreciation_per_year):
    """K' = K (1 - delta / 12) + delivered: one month of depreciation and deliveries."""
    return stock * (1.0 - depreciation_per_year / 12.0) + delivered


def steady_state_stock(spending_per_year, depreciation_per_year):
    """Stock at which yearly spending just offsets depreciation: K = q / delta."""
    return spending_per_year / depreciation_per_year


def reduce_dependence(dependence, initial, floor, years, funding_share):
    """Enabler dependence falls linearly with a funded sovereign programme, to its floor.

    A fully funded programme of ``years`` years removes (initial - floor) in that time; partial
    funding slows it proportionally. Spending on forces does not enter.
    """
    step = funding_share * (initial - floor) / (12.0 * years)
    return np.maximum(floor, dependence - step)


def programme_funding(national, autonomy_gdp_share, eu_budget, eu_budget_start, eu_c2_share, c2_cost):
    """Share of what the sovereign enabler programme needs that is funded, at most 1: the national
    funding (the baseline, or what a decision set), the GDP share of allies pursuing autonomy, and
    the part of EU-level defence funds added since the start that goes to the programme,
    eu_c2_share x (budget - budget_0) / cost. The EU budget is what lets a decision in Brussels
    shorten Europe's dependence on US enablers (the brief: Sparta 2.0 funded as EU policy)."""
    eu = eu_c2_share * np.maximum(eu_budget - eu_budget_start, 0.0) / c2_cost
    return np.minimum(1.0, national + autonomy_gdp_share + eu)


def grow(gdp, growth_pct_per_year):
    """One month of growth at a yearly percentage rate."""
    # np.power, not **: on Python or numpy scalars ** calls the C library's pow, on arrays the
    # ufunc's (SIMD) loop, and the two can differ in the last bit.
    return gdp * np.power(1.0 + growth_pct_per_year / 100.0, 1.0 / 12.0)
