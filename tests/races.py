"""The one helper of the race tests (docs/architecture.md "Scarce things under a rush"): run N
callables on N threads, each on its own database connection, released together, and hand back
what each returned or raised.

    outcome = race(lambda i: claim(selections[i]), 16)
    winners = [r for r in outcome.results if r is not None]
    losers = outcome.raised

A test that must hold every thread at a point inside the work (just before the write, to prove
the overlap) passes its own `barrier(n)` and waits on it there: with `start_together=False` the
threads are only started, and that barrier does the releasing.
"""

import threading
from typing import NamedTuple

from django.db import connection

# A thread that never arrives turns into a BrokenBarrierError instead of a hung test run.
BARRIER_TIMEOUT = 30
JOIN_TIMEOUT = 120


def barrier(parties: int, timeout: float = BARRIER_TIMEOUT) -> threading.Barrier:
    return threading.Barrier(parties, timeout=timeout)


class Race(NamedTuple):
    results: list  # what work(i) returned, by thread index (None where it raised)
    errors: list  # what work(i) raised, by thread index (None where it returned)

    @property
    def raised(self) -> list:
        """The exceptions, in thread order."""
        return [e for e in self.errors if e is not None]

    @property
    def outcomes(self) -> list:
        """What each thread returned, or the exception it raised, by thread index."""
        return [e if e is not None else r for r, e in zip(self.results, self.errors, strict=True)]

    @property
    def returned_and_raised(self) -> tuple[list, list]:
        """(results by thread index, the exceptions raised): for tests that count the refusals."""
        return self.results, self.raised


def race(work, n: int, *, start_together: bool = True, start: threading.Barrier | None = None) -> Race:
    """Run work(i) for i in range(n), each on its own thread and database connection (closed when
    the thread ends). The threads wait at a barrier (`start`, or a new one) and are released
    together, unless start_together=False (the work holds them at its own barrier)."""
    gate = (start or barrier(n)) if start_together else None
    results, errors = [None] * n, [None] * n

    def run(i):
        try:
            if gate is not None:
                gate.wait()
            results[i] = work(i)
        except Exception as exc:  # the losers' refusals are what the tests assert on
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    return Race(results, errors)
