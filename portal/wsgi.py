import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Production refuses the sandboxes and the repository's default secrets (portal.checks).
from portal.checks import refuse_to_start  # noqa: E402

refuse_to_start()
