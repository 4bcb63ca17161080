"""The pipeline's extras: products beyond the paper figures, each in its own module."""
