"""Reusable pieces of the MNIST-for-beginners tutorial: data, model, training loop, metrics, plots.

Importing this package does nothing by itself: no seeds are set, no data is read, no threads are
changed. Each notebook does those things visibly in its own cells.
"""
