"""briefing: writes the daily economic briefing (经济日报) from news feeds."""

__version__ = "0.2.1"
