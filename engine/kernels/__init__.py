"""Numba kernels. They take and return plain NumPy arrays and import nothing
from the layers above them (config, tape, API)."""
