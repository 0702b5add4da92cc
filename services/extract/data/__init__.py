"""Gazetteer data shipped with the extract service (read once, at first use)."""
