"""A hand-written iCalendar (RFC 5545) writer: enough for a feed of all-day and timed deadlines."""

import datetime

from django.utils import timezone


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF + space (RFC 5545 3.1)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(deadlines, *, name: str, domain: str, now=None) -> str:
    """The iCalendar text for a list of portal.hooks.Deadline."""
    now = now or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//open122//notices calendar//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for index, item in enumerate(deadlines):
        uid = item.uid or f"deadline-{index}-{item.when:%Y%m%d}"
        lines += ["BEGIN:VEVENT", f"UID:{_escape(uid)}@{domain}", f"DTSTAMP:{_utc(now)}"]
        if isinstance(item.when, datetime.datetime):
            lines.append(f"DTSTART:{_utc(item.when)}")
            if getattr(item, "ends", None) is not None:
                lines.append(f"DTEND:{_utc(item.ends)}")
        else:
            lines += [
                f"DTSTART;VALUE=DATE:{item.when:%Y%m%d}",
                f"DTEND;VALUE=DATE:{item.when + datetime.timedelta(days=1):%Y%m%d}",
            ]
        lines.append(f"SUMMARY:{_escape(item.title)}")
        if item.description:
            lines.append(f"DESCRIPTION:{_escape(item.description)}")
        if item.url:
            lines.append(f"URL:{item.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
