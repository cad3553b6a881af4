"""Demo data (filled in below)."""

DEMO_PASSWORD = "SauRo@2026"


def seed() -> str:
    return "no demo data yet"


def banner() -> str:
    return "Sáu Rõ: http://127.0.0.1:5000"
