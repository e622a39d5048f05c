def notify(kind, **kwargs):
    """Tell a person that something happened: see notices.services.notify.

    The one entry point every app calls (docs/architecture.md); imported lazily so that apps can call it
    from anywhere without importing notices' models at start-up.
    """
    from notices.services import notify as _notify

    return _notify(kind, **kwargs)


def announce(kind, **kwargs):
    """Publish a public announcement on a city's site: see notices.services.announce."""
    from notices.services import announce as _announce

    return _announce(kind, **kwargs)
