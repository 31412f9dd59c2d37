"""Reusable pieces of the MNIST-for-beginners tutorial: data, model, training loop, metrics, plots.

Importing it sets no seed, reads no data and changes no threads: each notebook does those in its own cells.
"""
