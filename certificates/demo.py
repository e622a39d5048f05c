"""Demo data for `manage.py demo` (filled in below)."""


def load(stdout):
    return None
