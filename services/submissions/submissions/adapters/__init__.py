"""Adapters of the submissions service that need little or no I/O: storage, content types, upload
limits, export and search normalisation."""
