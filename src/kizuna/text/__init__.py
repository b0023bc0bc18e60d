"""Text: the text engine wired into the platform (analysis of stored feedback, training)."""
