"""One run's story: what happened in it, month by month, and each ally's path through it.

A sweep reports distributions; an analyst who wants to trust them reads a few runs. The story of
a run is written by a :class:`Narrator` that watches the Mesa model after each month and writes
down what changed: the scenario's events as they fire (withdrawals, relocations, guarantees,
deals...), the patron's policy towards each ally, US troops arriving and leaving, deals asked
for, granted, refused and ended, allies changing strategy, Russia's probes and incursions with
the answers they met, and the signposts as they are reached. It reads the model's own state and
logs (``model.events.log``, ``model.moves``) and changes nothing, so the run told is the run a
sweep recorded: the same seed and fixed values give the same outcomes, bit for bit, as the row
of ``runs.parquet`` (the fast engine's runs equal the Mesa engine's).

>>> from sim import load_scenario
>>> from sim.analysis.story import tell
>>> story = tell(load_scenario("troops_to_poland"), seed=1)   # doctest: +SKIP
>>> print(story.text())                                       # doctest: +SKIP

The explorer (:mod:`sim.explorer`) uses the same narrator for its live event log.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.model import outcomes as outcome_defs
from sim.model.rules import deterrence, strategy
from sim.model.scenario import Scenario, month_label

if TYPE_CHECKING:
    from sim.engines.mesa.model import AllianceModel

TOPICS = ("event", "policy", "troops", "deal", "strategy", "move", "signpost")
"""What a line of the story is about, in the order lines of one month are printed (the order of
the monthly process: events, the patron's orders, allies' choices and deals, Russia's move, and
what the month's record shows)."""

STRATEGY_WORDS = {
    strategy.COLLECTIVE: "collective defence",
    strategy.DEAL: "a bilateral deal",
    strategy.AUTONOMY: "autonomy",
    strategy.ACCOMMODATION: "accommodating Russia",
}

ALLY_SERIES = {
    "credibility": "belief that the US guarantee holds (probability)",
    "share": "defence spending (% of GDP)",
    "us_troops": "US troops hosted",
    "strategy": "strategy (0 collective, 1 deal, 2 autonomy, 3 accommodation)",
    "holds_deal": "holds a bilateral deal with the US (0/1)",
}
"""The per-ally monthly series a story keeps (the sweep keeps aggregates only)."""


class StoryInputError(ValueError):
    """A result folder or run that cannot be told (missing file, row out of range, failed run)."""


@dataclass(frozen=True)
class Entry:
    """One line of a run's story."""

    month: int          # months from the scenario's start
    date: str           # 'YYYY-MM'
    topic: str          # one of TOPICS
    text: str
    ally: str | None = None   # ISO3 of the ally it is about, if one


def _troops(x: float) -> str:
    return f"{round(x):,}"


def _pct(x: float) -> str:
    return f"{x:.2f}% of GDP"


class Narrator:
    """Watches one run of the Mesa model and writes down what changed each month.

    Call :meth:`observe` after every ``model.step()``. It reads the model's state and logs only.
    """

    def __init__(self, model: AllianceModel):
        self.model = model
        self.iso3 = list(model.world.iso3)
        self.names = list(model.world.name)
        self.entries: list[Entry] = []
        self.ally_series: dict[str, list[np.ndarray]] = {name: [] for name in ALLY_SERIES}
        self._before = self._state()
        self.troops_start = self._before["troops"].copy()
        self._events_seen = len(model.events.log)
        self._moves_seen = len(model.moves)
        self._refusals: dict[int, int] = {}     # ally -> months in a row its request was refused
        self._signposts_seen: set[str] = set()
        self._labels = {sp.id: sp.label for sp in model.spec.signposts}
        self._events = {e.id: e for e in model.p.events}

    # ---- what is compared from month to month ---------------------------------------------------
    def _state(self) -> dict:
        m = self.model
        allies = m.ally_list
        return {
            "troops": np.array([a.us_troops for a in allies]),
            "holds_deal": np.array([a.holds_deal for a in allies]),
            "strategy": np.array([a.strategy for a in allies]),
            "deal_floor": np.array([a.deal_floor for a in allies]),
            "threshold": m.patron.threshold.copy(),
            "strictness": m.patron.strictness.copy(),
            "unconditional": m.patron.unconditional.copy(),
            "exit_notice": bool(m.patron.exit_notice),
        }

    def _say(self, topic: str, text: str, ally: int | None = None) -> None:
        t = self.model.month
        self.entries.append(Entry(t, month_label(t, self.model.start), topic, text,
                                  None if ally is None else self.iso3[ally]))

    def _who(self, i: int) -> str:
        return self.names[i]

    def _whom(self, indices) -> str:
        indices = list(indices)
        if len(indices) == len(self.iso3):
            return "every ally"
        if len(indices) > 6:
            return f"{len(indices)} allies ({', '.join(self.iso3[i] for i in indices)})"
        return ", ".join(self._who(i) for i in indices)

    # ---- the month ---------------------------------------------------------------------------
    def observe(self) -> list[Entry]:
        """Write down what the month just simulated changed; returns this month's entries."""
        first = len(self.entries)
        now = self._state()
        before = self._before
        fired = self.model.events.log[self._events_seen:]
        self._events_seen = len(self.model.events.log)
        basing_hosts = set()
        for _, kind, host, eid, announced in fired:
            self._say("event", self._describe_event(eid, kind, announced),
                      None if host is None else self.model.index(host))
            if kind == "basing_deal":
                basing_hosts.add(self.model.index(host))
        self._policy(before, now)
        self._troop_moves(before, now)
        self._deals_and_strategies(before, now, basing_hosts)
        self._moves()
        self._signposts()
        m = self.model
        for name in ALLY_SERIES:
            if name == "credibility":
                values = np.array([a.credibility for a in m.ally_list])
            elif name == "share":
                values = np.array([a.share for a in m.ally_list])
            else:
                values = now[{"us_troops": "troops"}.get(name, name)].astype(float)
            self.ally_series[name].append(values)
        self._before = now
        return self.entries[first:]

    def _describe_event(self, eid: str, kind: str, announced: bool) -> str:
        event = self._events[eid]
        v = event.values
        where = {c: self._who(self.model.index(c)) for c in (getattr(v, "host", None), getattr(v, "to", None))
                 if c and c != "home"}
        if kind in ("withdrawal", "relocation"):
            dest = getattr(v, "to", "home")
            text = (f"US relocation of {_troops(v.troops)} troops from {where[v.host]} to {where[dest]}"
                    if dest != "home" else f"US withdrawal of {_troops(v.troops)} troops from {where[v.host]}")
            text += f", over {v.duration_months} months"
            if v.hub_loss > 0:
                text += f"; {v.hub_loss:.0%} of its value as a logistics hub lost"
        elif kind == "guarantee":
            hosts = [self.model.index(c) for c in v.hosts] if v.hosts else range(len(self.iso3))
            text = (f"US guarantee made conditional on spending {_pct(v.threshold)} (strictness "
                    f"{v.strictness:.2f}), for {self._whom(hosts)}" if v.conditional
                    else f"US pledges an unconditional guarantee to {self._whom(hosts)}")
        elif kind == "basing_deal":
            text = f"{where[v.host]} concludes a basing deal with the US, paying {_pct(v.price)} a year"
            if v.troops > 0:
                text += f"; {_troops(v.troops)} more US troops over {v.duration_months} months"
        elif kind == "eu_budget":
            text = f"EU-level defence funds multiplied by {v.multiplier:.2f}"
        elif kind == "sovereign_c2":
            text = (f"sovereign command-and-control programme launched: {v.years:.1f} years if fully funded, "
                    f"funding at least {v.funding_share:.0%}")
        elif kind == "halt_deployment":
            text = f"US halts a planned deployment of {_troops(v.troops)} troops to {where[v.host]}"
        elif kind == "trade_coercion":
            text = (f"US tariffs raised from {v.tariff_from:g}% to {v.tariff_to:g}%: growth "
                    f"{v.growth_cost * (v.tariff_to - v.tariff_from) / 10:.2f} points a year lower, "
                    f"attachment to collective defence strained by {v.alignment_strain:.2f}")
        elif kind == "exit_notice":
            text = "US gives notice of leaving the alliance"
        elif kind == "threat_shock":
            text = (f"threat shock: share of Russian force absorbed {v.absorption_change:+.2f}, "
                    f"perceived threat x{1 + v.threat_change:.2f}")
        else:  # a kind added to the schema after this module: still logged, by name
            text = kind.replace("_", " ")
        label = getattr(v, "label", None)
        text = f"{label}: {text}" if label else text
        return f"{text} [{eid}]" + ("" if announced else " (not announced)")

    def _policy(self, before: dict, now: dict) -> None:
        changed = np.flatnonzero((before["threshold"] != now["threshold"])
                                 | (before["strictness"] != now["strictness"])
                                 | (before["unconditional"] != now["unconditional"]))
        groups: dict[tuple, list[int]] = {}
        for i in changed:
            key = (self._policy_words(before, i), self._policy_words(now, i))
            groups.setdefault(key, []).append(int(i))
        for (was, becomes), allies in groups.items():
            self._say("policy", f"US policy towards {self._whom(allies)}: {was} -> {becomes}",
                      allies[0] if len(allies) == 1 else None)
        if now["exit_notice"] and not before["exit_notice"]:
            self._say("policy", "US policy: notice of exit given (the patron's will falls for every ally)")

    @staticmethod
    def _policy_words(state: dict, i: int) -> str:
        if state["unconditional"][i]:
            return "unconditional pledge"
        if state["threshold"][i] > 0:
            return f"conditional on {_pct(state['threshold'][i])} (strictness {state['strictness'][i]:.2f})"
        return "guarantee without conditions"

    def _troop_moves(self, before: dict, now: dict) -> None:
        delta = now["troops"] - before["troops"]
        moved = np.flatnonzero(np.abs(delta) >= 0.5)
        if moved.size:
            parts = [f"{self._who(i)} {_troops(before['troops'][i])} -> {_troops(now['troops'][i])} "
                     f"({'+' if delta[i] > 0 else '-'}{_troops(abs(delta[i]))})" for i in moved]
            self._say("troops", "US troops: " + "; ".join(parts), int(moved[0]) if moved.size == 1 else None)

    def _deals_and_strategies(self, before: dict, now: dict, basing_hosts: set[int]) -> None:
        words = STRATEGY_WORDS
        for i in range(len(self.iso3)):
            had, has = bool(before["holds_deal"][i]), bool(now["holds_deal"][i])
            was, chose = int(before["strategy"][i]), int(now["strategy"][i])
            who = self._who(i)
            refused = self._refusals.get(i, 0)
            asking = chose == strategy.DEAL and not has
            if has and not had:
                if i in basing_hosts:
                    self._say("deal", f"{who} holds a deal through its basing agreement "
                                      f"(spends at least {_pct(now['deal_floor'][i])})", i)
                else:
                    after = f" after {refused} refusal{'s' * (refused > 1)}" if refused else ""
                    self._say("deal", f"{who} asks for a bilateral deal and is granted it{after} "
                                      f"(spends at least {_pct(now['deal_floor'][i])})", i)
                self._refusals.pop(i, None)
            elif had and not has:
                self._say("deal", f"{who}'s deal ends: it turns to {words[chose]}", i)
            elif i in basing_hosts and not has:
                self._say("deal", f"{who}'s basing deal ends the month it was made: it turns to {words[chose]}", i)
            if asking:
                if refused == 0:
                    self._say("deal", f"{who} asks for a bilateral deal: refused", i)
                self._refusals[i] = refused + 1
            elif refused and not has:
                self._refusals.pop(i)
                self._say("deal", f"{who} stops asking for a deal after {refused} refusal{'s' * (refused > 1)}; "
                                  f"turns to {words[chose]}", i)
            # Changes the deal lines already tell (into or out of the deal strategy) are not repeated.
            if was != chose and strategy.DEAL not in (was, chose):
                self._say("strategy", f"{who} turns from {words[was]} to {words[chose]}", i)

    def _moves(self) -> None:
        for _, kind, target, us, europe in self.model.moves[self._moves_seen:]:
            who = self._who(target)
            if kind == deterrence.PROBE:
                what = f"Russia probes {who} (gray zone)"
            else:
                what = f"Russia makes a limited incursion into {who}"
            if us and europe:
                answer = "the US and Europe answer"
            elif us:
                answer = "the US answers, Europe does not"
            elif europe:
                answer = "Europe answers, the US does not"
            else:
                answer = "neither the US nor Europe answers"
            failure = "; deterrence has failed" if kind == deterrence.INCURSION and not (us or europe) else ""
            self._say("move", f"{what}: {answer}{failure}", target)
        self._moves_seen = len(self.model.moves)

    def _signposts(self) -> None:
        m = self.model
        if not m.spec.signposts:
            return
        upto = m.month + 1
        s = {k: v[:upto] for k, v in m.recorder.data.items()}
        for key, value in outcome_defs.signposts(m, s).items():
            if key.endswith(".month") or value < 1:
                continue
            sid = key.removeprefix("signpost.")
            if sid not in self._signposts_seen:
                self._signposts_seen.add(sid)
                self._say("signpost", f"signpost reached: {self._labels.get(sid, sid)} [{sid}]")

    def series(self) -> dict[str, np.ndarray]:
        """The per-ally series so far: name -> array [months, allies]."""
        n = len(self.iso3)
        out = {k: np.array(v) if v else np.zeros((0, n)) for k, v in self.ally_series.items()}
        out["us_troops_start"] = self.troops_start
        return out


@dataclass
class Story:
    """A run told: who, what and when, its outcomes and each ally's monthly path."""

    scenario: Scenario
    seed: int
    fixed: dict[str, float]
    parameters: dict[str, float]
    entries: list[Entry]
    outcomes: dict[str, float]
    series: dict[str, np.ndarray]          # the run's monthly aggregates (SERIES)
    ally_series: dict[str, np.ndarray]     # ALLY_SERIES: [months, allies]; us_troops_start: [allies]
    iso3: list[str]
    names: list[str]
    source: str = ""                       # where the run comes from, for the header
    recorded: dict[str, float] = field(default_factory=dict)   # the row of runs.parquet, if any

    def text(self, topics: tuple[str, ...] | None = None) -> str:
        """The dated log, then the main outcomes (and signposts)."""
        s = self.scenario
        lines = [f"{s.name}: {s.title}", f"seed {self.seed}" + (f"; {self.source}" if self.source else "")]
        if self.fixed:
            lines.append("fixed: " + ", ".join(f"{k} = {v:g}" for k, v in self.fixed.items()))
        lines.append(f"{len(self.parameters)} judgement parameters (the rest drawn from the priors by the seed)")
        lines.append("")
        shown = [e for e in self.entries if topics is None or e.topic in topics]
        order = {t: k for k, t in enumerate(TOPICS)}
        shown.sort(key=lambda e: (e.month, order[e.topic]))  # stable: the month's order within a topic
        for e in shown:
            lines.append(f"{e.date}  {e.topic:<8}  {e.text}")
        if not shown:
            lines.append("(nothing to tell)")
        counts = Counter(e.topic for e in self.entries)
        lines += ["", "lines by topic: " + ", ".join(f"{t} {counts[t]}" for t in TOPICS), "", "outcomes:"]
        for name in outcome_defs.MAIN_OUTCOMES:
            lines.append(f"  {name:<36} {_value(self.outcomes[name])}  ({outcome_defs.OUTCOMES[name].unit})")
        for sp in s.signposts:
            month = self.outcomes[f"signpost.{sp.id}.month"]
            when = "not reached" if math.isnan(month) else f"reached {month_label(int(month), s.start)}"
            lines.append(f"  signpost {sp.id:<27} {when}  ({sp.label})")
        return "\n".join(lines)

    def differences(self) -> dict[str, tuple[float, float]]:
        """Outcomes that differ from the recorded row: name -> (told, recorded); NaN equals NaN."""
        out = {}
        for name, recorded in self.recorded.items():
            told = self.outcomes.get(name, math.nan)
            if not (told == recorded or (math.isnan(told) and math.isnan(recorded))):
                out[name] = (told, recorded)
        return out

    def figure(self):
        """Each ally's monthly path: credibility, spending, US troops, strategy (matplotlib Figure)."""
        from sim.analysis.story_figure import story_figure

        return story_figure(self)

    def save_figure(self, path: Path) -> Path:
        """Write the figure to ``path`` (.png, .svg or .pdf) without timestamps (same run, same bytes)."""
        from sim.analysis.story_figure import save

        return save(self.figure(), Path(path))


def _value(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def tell(scenario: Scenario, seed: int, fixed: dict[str, float] | None = None, *,
         months: int | None = None, source: str = "") -> Story:
    """Run ``scenario`` with ``seed`` (and ``fixed`` values) on the Mesa engine and tell it."""
    from sim.engines.mesa.model import AllianceModel

    model = AllianceModel(scenario, rng=int(seed), fixed=fixed)
    narrator = Narrator(model)
    for _ in range(scenario.horizon_months if months is None else months):
        model.step()
        narrator.observe()
    return Story(scenario=scenario, seed=int(seed), fixed=dict(fixed or {}), parameters=dict(model.values),
                 entries=narrator.entries, outcomes=model.outcomes(), series=model.timeseries(),
                 ally_series=narrator.series(), iso3=narrator.iso3, names=narrator.names, source=source)


# ---- a run of a result folder ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRun:
    """A row of a result folder's runs.parquet and what it takes to run it again."""

    scenario: Scenario       # as resolved when the folder was written (from its manifest)
    seed: int
    fixed: dict[str, float]  # the experiment's fixed values, then its design point's
    row: int
    design_point: int
    replication: int
    outcomes: dict[str, float]


def recorded_run(folder: Path, row: int) -> RecordedRun:
    """Row ``row`` (from 0) of ``folder/runs.parquet``, with its scenario from the folder's manifest
    and its design point's fixed values from ``design.parquet`` and the experiment's ``fixed``."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    manifest_path, runs_path = folder / "manifest.json", folder / "runs.parquet"
    for path in (manifest_path, runs_path):
        if not path.is_file():
            raise StoryInputError(f"{path}: not found (a result folder of 'deterrence run' or 'sweep' has it)")
    try:
        manifest = json.loads(manifest_path.read_text())
        pf = pq.ParquetFile(runs_path)
    except (OSError, ValueError) as err:
        raise StoryInputError(f"{folder}: cannot read manifest.json or runs.parquet ({err})") from None
    total = pf.metadata.num_rows
    if not 0 <= row < total:
        raise StoryInputError(f"--run {row}: {runs_path} has {total:,} rows, numbered 0 to {total - 1:,}")
    table = _row(pf, row)
    record = {name: table.column(name)[0].as_py() for name in table.column_names}
    if record.get("status") != "ok":
        raise StoryInputError(f"--run {row}: that run failed in the sweep ({record.get('error') or 'no error kept'}); "
                              "it has no outcomes to tell")
    scenarios = ([manifest["scenario"]] if "scenario" in manifest else manifest.get("scenarios", []))
    by_name = {s["name"]: s for s in scenarios}
    if record["scenario"] not in by_name or "resolved" not in by_name[record["scenario"]]:
        raise StoryInputError(f"{manifest_path}: no resolved scenario named {record['scenario']!r} "
                              f"(has: {', '.join(by_name) or 'none'})")
    from pydantic import ValidationError

    try:
        scenario = Scenario.model_validate(by_name[record["scenario"]]["resolved"])
    except ValidationError as err:
        raise StoryInputError(f"{manifest_path}: the scenario {record['scenario']!r} recorded there is not valid "
                              f"in this version of deterrence ({err.error_count()} problem(s), first: "
                              f"{err.errors()[0]['loc']}: {err.errors()[0]['msg']}); rerun the sweep") from None
    fixed = dict((manifest.get("experiment", {}).get("resolved") or {}).get("fixed") or {})
    design_path = folder / "design.parquet"
    if design_path.is_file():
        design = pq.read_table(design_path).to_pylist()
        cell = next((d for d in design if d["scenario"] == record["scenario"]
                     and d["design_point"] == record["design_point"]), None)
        if cell is None:
            raise StoryInputError(f"{design_path}: no row for {record['scenario']}, design point {record['design_point']}")
        for name, value in cell.items():
            if name not in ("scenario", "design_point", "label", "seed_point") and value is not None \
                    and not math.isnan(value):
                fixed[name] = float(value)
    skip = {"scenario", "design_point", "replication", "seed", "status", "error"}
    from sim.model.outcomes import outcome_names

    kept = set(outcome_names(scenario))
    outcomes = {k: (math.nan if v is None else float(v)) for k, v in record.items() if k not in skip and k in kept}
    return RecordedRun(scenario, int(record["seed"]), fixed, row, int(record["design_point"]),
                       int(record["replication"]), outcomes)


def _row(pf, row: int):
    """One row of a Parquet file, reading only its row group."""
    start = 0
    for g in range(pf.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        if row < start + n:
            return pf.read_row_group(g).slice(row - start, 1)
        start += n
    raise IndexError(row)  # pragma: no cover - checked against num_rows before


def tell_recorded(folder: Path, row: int) -> Story:
    """Tell row ``row`` of a result folder; ``story.differences()`` compares it with the row."""
    run = recorded_run(folder, row)
    source = (f"{Path(folder)}/runs.parquet row {row} (design point {run.design_point}, "
              f"replication {run.replication})")
    story = tell(run.scenario, run.seed, run.fixed, source=source)
    story.recorded = run.outcomes
    return story
