"""Evals for `briefing`: rates against thresholds, kept apart from the unit tests (`python -m evals`)."""
