"""Pure analytics: statistics, models and text. Knows nothing of the database or the web."""
