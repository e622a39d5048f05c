"""Path converters shared by every app's urls.py.

`<code:...>` is an order, receipt or tracking number or a link token: letters, digits, - and _,
at most 64. Anything else in that segment (a NUL byte, which PostgreSQL refuses in a string, or
a 10 kB string) is a 404 from the resolver instead of an error in the query it would reach.
"""

from django.urls import register_converter


class Code:
    regex = "[0-9A-Za-z_-]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(Code, "code")
