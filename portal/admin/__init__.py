# One module per area so that each can grow on its own.
from portal.admin import accounts, calendar, cities, payments, postal, registry, units  # noqa: F401
