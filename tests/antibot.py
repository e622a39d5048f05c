"""Helpers for tests that go through the proof of work (portal.antibot) as a browser would."""

import html
import json
import re

import altcha

_CHALLENGE = re.compile(r'<altcha-widget[^>]*\bchallenge="([^"]+)"')
_TICKET = re.compile(r'name="altcha_ticket" value="([^"]+)"')


def challenge_in(page: str) -> dict:
    return json.loads(html.unescape(_CHALLENGE.search(page).group(1)))


def ticket_in(page: str) -> str:
    return _TICKET.search(page).group(1)


def solve(page: str) -> str:
    """The `altcha` field the widget would post for the challenge on this page."""
    challenge = altcha.Challenge.from_dict(challenge_in(page))
    solution = altcha.solve_challenge(challenge)
    return altcha.Payload(challenge, solution).to_base64()


def enable(settings, cost=50):
    settings.ANTIBOT_ENABLED = True
    settings.ANTIBOT_COST = cost  # a low cost keeps the suite fast; the protocol is the same
