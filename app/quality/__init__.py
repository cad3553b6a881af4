"""Quality of operation: the indicator set (DESIGN.md 8)."""
