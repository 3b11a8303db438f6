"""Local development runner of the alumni platform."""
