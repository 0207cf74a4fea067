"""Kaleidoscope's web front: server-rendered pages over the three services' HTTP APIs."""
