"""Query budgets of list and rush pages (docs/architecture.md "Query budgets").

Each budget is the count measured with several rows on the page plus at most two queries of
headroom, so a query per row (an N+1) breaks it. When a change legitimately moves a count, measure
again (QUERY_BUDGET_REPORT=path prints the counts) and set the new figure in the same commit.
"""

import os
from contextlib import contextmanager


@contextmanager
def page_budget(django_assert_max_num_queries, name: str, budget: int):
    """Assert that the block runs at most `budget` queries; optionally report the measured count."""
    with django_assert_max_num_queries(budget) as context:
        yield context
    report = os.environ.get("QUERY_BUDGET_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(f"{name}: {len(context.captured_queries)} (budget {budget})\n")
