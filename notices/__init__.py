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


def notify_within(kind, **kwargs):
    """notify() as a part of the caller's own one-statement write: see notices.services.notify_within."""
    from notices.services import notify_within as _notify_within

    return _notify_within(kind, **kwargs)


def notice_insert_sql(source):
    """The SQL that writes notify_within's notice inside the caller's statement: see
    notices.services.notice_insert_sql."""
    from notices.services import notice_insert_sql as _notice_insert_sql

    return _notice_insert_sql(source)


def notified():
    """Kick delivery after a statement made with notify_within: see notices.services.notified."""
    from notices.services import notified as _notified

    _notified()
