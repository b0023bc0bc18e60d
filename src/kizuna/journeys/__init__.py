"""Journeys: stages, touchpoint rules, journey analytics stored per scope, the journey map."""
