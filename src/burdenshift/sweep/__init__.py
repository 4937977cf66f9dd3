"""Sweeps: many scenarios × engines, run on Dask, each finished task saved as it completes."""
