"""The control of the axe check: a page with a serious violation fails, automatically."""

import pytest

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e

UNLABELLED = '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1><input type="text"></main></body></html>'
LABELLED = UNLABELLED.replace('<input type="text">', '<label for="x">Name</label><input id="x" type="text">')


def test_an_unlabelled_input_fails_the_explicit_and_the_automatic_check(page):
    page.page.set_content(UNLABELLED)
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)
    # The automatic check: the next use of the page after a load runs axe first.
    page.page.goto("data:text/html," + UNLABELLED)
    with pytest.raises(AssertionError, match="serious/critical"):
        page.title()
    page.page.set_content(LABELLED)
    assert_accessible(page)
