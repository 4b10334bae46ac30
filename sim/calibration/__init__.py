"""Calibration of the spending parameters to NATO's per-ally series (ABC-SMC with pyabc), the
posterior that scenarios may use as a prior, and the model's per-ally trajectories it is fitted on.

* :mod:`sim.calibration.trajectories`: each ally's yearly defence share in a batch of fast-engine runs.
* :mod:`sim.calibration.fit`: the fit (distance, priors, the batching sampler, the posterior).
* :mod:`sim.calibration.posterior`: the posterior on disk (Parquet and manifest) and as a prior.
"""
