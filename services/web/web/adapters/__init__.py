"""What the web front talks to: the three services' HTTP APIs, and the visitor's signed session."""
