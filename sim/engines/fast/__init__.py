"""The fast engine: batches of runs as arrays, equal to the Mesa engine bit for bit."""

from sim.engines.fast.engine import BATCH, EnsembleResult, compile_kernels, run_fast, simulate

__all__ = ["BATCH", "EnsembleResult", "compile_kernels", "run_fast", "simulate"]
