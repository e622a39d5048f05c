"""Citizen pages of violations. Thin: every decision is in violations.services."""

from django.shortcuts import render


def start(request):
    return render(request, "violations/start.html", {})
