"""Kaleidoscope\x27s web front: server-rendered pages over the three services\x27 HTTP APIs."""
