"""A fitted posterior: on disk (Parquet and manifest), and as the prior of a scenario's runs.

On disk a posterior is a folder with ``posterior.parquet`` (one row per particle: ``particle``,
``weight``, then each fitted parameter under its dotted name) and ``manifest.json`` (the
results' conventions, :func:`sim.experiments.results.write_manifest`: what made it, the fitted
parameters' prior ranges, the distance, the epsilon schedule, the number of simulations). The
shipped posteriors are in ``sim/data/calibration/<name>/``; a scenario names one as
``prior: {posterior: calibration/2014-2025}``.

**How a run draws it.** A posterior is joint: the fitted parameters trade off (a faster
adjustment with a smaller ramp fits as well as the reverse). A run therefore draws one uniform,
from a stream of its own (the parameter stream keyed by :data:`PARTICLE_NAME`), and that
uniform picks one particle through the cumulative weights: every fitted parameter of the run
takes that particle's value. The fitted parameters' own streams are not used; the other
parameters are drawn from their priors as always.

**Designs.** A design with ``all_priors: true`` leaves the fitted parameters out: each run
draws its particle with its own seed, so the joint posterior is kept, and Sobol and Morris
designs count it with chance. A design or experiment that names a fitted parameter (under
``parameters``, in an arm or as a fixed value) overrides that parameter only (the others keep
the particle's values): it then varies over the range given, and its joint structure with the
others is broken, as for any fixed parameter. A fitted parameter the scenario does not have (a
shock of the calibration's history) is ignored.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PARTICLE_NAME = "prior.posterior_particle"
"""The name keying the stream of the uniform that picks a run's particle."""

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "calibration"
FILE = "posterior.parquet"


@dataclass
class Posterior:
    """The last population of a fit: particles [particles, parameters] with their weights."""

    names: list[str]
    particles: np.ndarray
    weights: np.ndarray
    priors: dict[str, tuple[float, float]]
    last_year: int
    info: dict = field(default_factory=dict)

    def quantiles(self, q: Sequence[float]) -> np.ndarray:
        """Weighted quantiles [len(q), parameters]."""
        out = np.empty((len(q), len(self.names)))
        for k in range(len(self.names)):
            order = np.argsort(self.particles[:, k], kind="stable")
            x, w = self.particles[order, k], self.weights[order]
            cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
            out[:, k] = np.interp(q, cdf, x)
        return out

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Particles [len(u), parameters] picked by uniforms ``u`` in [0, 1) through the weights'
        cumulative sum: one uniform picks a whole particle (the joint distribution is kept)."""
        cdf = np.cumsum(self.weights) / self.weights.sum()
        idx = np.minimum(np.searchsorted(cdf, np.asarray(u), side="right"), len(cdf) - 1)
        return self.particles[idx]


def save(posterior: Posterior, out: Path, info: dict | None = None) -> Path:
    """Write ``posterior.parquet`` and ``manifest.json`` into ``out``."""
    from sim.experiments.results import PARQUET_OPTIONS, write_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cols = {"particle": pa.array(np.arange(len(posterior.weights), dtype=np.int64)),
            "weight": pa.array(posterior.weights.astype(np.float64))}
    for k, name in enumerate(posterior.names):
        cols[name] = pa.array(posterior.particles[:, k].astype(np.float64))
    pq.write_table(pa.table(cols), out / FILE, **PARQUET_OPTIONS)
    manifest = {"kind": "posterior", "last_year": posterior.last_year, "fitted": posterior.names,
                "prior_ranges": {n: list(b) for n, b in posterior.priors.items()}, **posterior.info, **(info or {})}
    write_manifest(out, manifest, [FILE])
    return out


def resolve(name: str | Path, base: Path | None = None) -> Path:
    """A posterior's folder: ``calibration/<name>`` among the shipped ones, or a folder path
    (relative to ``base``, a scenario file's folder). Raises ``FileNotFoundError`` naming what
    exists."""
    text = str(name)
    candidates = []
    if text.startswith("calibration/"):
        candidates.append(SHIPPED / text.split("/", 1)[1])
    path = Path(text)
    candidates += [path] if path.is_absolute() else ([base / path] if base else []) + [path]
    for c in candidates:
        if (c / FILE).is_file():
            return c
    shipped = sorted(p.name for p in SHIPPED.glob("*") if (p / FILE).is_file()) if SHIPPED.is_dir() else []
    raise FileNotFoundError(f"no posterior at {text!r} (a folder with {FILE}); shipped: "
                            f"{', '.join('calibration/' + s for s in shipped) or 'none'}")


@functools.lru_cache(maxsize=8)
def _load(folder: str) -> Posterior:
    import json

    table = pq.read_table(Path(folder) / FILE)
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    names = [c for c in table.column_names if c not in ("particle", "weight")]
    particles = np.column_stack([table[n].to_numpy() for n in names])
    return Posterior(names, particles, table["weight"].to_numpy(), {n: tuple(v) for n, v in manifest["prior_ranges"].items()},
                     int(manifest["last_year"]), {k: manifest[k] for k in ("epsilon", "simulations") if k in manifest})


def load(name: str | Path, base: Path | None = None) -> Posterior:
    """The posterior named ``name`` (see :func:`resolve`)."""
    return _load(str(resolve(name, base).resolve()))


def provenance(scenario) -> dict | None:
    """What a result's manifest records of the posterior a scenario draws from (None if it has
    none): its name, the sha256 of its particles and their number, so that a result can be
    traced to the exact fit even if a later version ships another under the same name."""
    if getattr(scenario, "prior", None) is None:
        return None
    from sim.experiments.results import sha256

    folder = resolve(scenario.prior.posterior)
    post = load(scenario.prior.posterior)
    return {"posterior": scenario.prior.posterior, "file": FILE, "sha256": sha256(folder / FILE),
            "particles": len(post.weights), "parameters": list(post.names), "last_year": post.last_year}
