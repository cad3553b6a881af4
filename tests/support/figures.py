"""Figures summed over the xdist workers: a module cut into several groups (tests/conftest.py,
SPLIT_MODULES) runs on both workers, so its counts are added up by the controller."""


def bad_input_line(stats: dict, examples: int) -> str:
    """The fuzzers' figure (tests/web/test_bad_input.py), from its STATS."""
    return (f"[bad-input] {len(stats['forms'])} forms x {examples} cases "
            f"({stats['posts']} posts, {stats['refusals']} refused, {stats['accepted']} accepted; "
            f"{stats.get('fingerprints', 0)} wrote a row, hence fingerprinted) "
            f"+ {len(stats['pages'])} query pages x {examples} ({stats['gets']} GETs)"
            + (f" + {stats['edges']} PostgreSQL edge cases (one field each)"
               if stats.get("edges") else "")
            + f": {stats['5xx']} 5xx, {stats['refusals_changed']} refusals that changed data")


def merge(parts: list[dict]) -> dict:
    """STATS of several workers as one (sets joined, counts added)."""
    out: dict = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, list):
                out[key] = sorted(set(out.get(key, [])) | set(value))
            else:
                out[key] = out.get(key, 0) + value
    return out
