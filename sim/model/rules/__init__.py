"""The model's rules, one module per concept, each a small pure function.

Every rule works on a scalar for one agent and on numpy arrays for many runs at once (shapes
broadcast; the last axis is the allies), so the Mesa agents and the ensemble engine call the same
code. Each docstring cites the source the rule comes from; each has a "pure" setting that reduces
it to a closed form checked in ``tests/test_rules_*.py``.
"""
