"""Extract one app's translatable strings (its code and templates/<app>/) into
<app>/locale/zh_Hans/LC_MESSAGES/django.po, then compile every catalogue.

Usage: python bin/messages.py plates   (portal also takes templates/base.html etc.)
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def main(app: str):
    app_dir = ROOT / app
    (app_dir / "locale").mkdir(exist_ok=True)
    link = app_dir / "_templates"
    target = ROOT / "templates" / app
    extra = []
    if app == "portal":
        # Project-level templates (base.html, 404.html) belong to portal's catalogue.
        extra_link = app_dir / "_base_templates"
        if not extra_link.exists():
            os.symlink(ROOT / "templates", extra_link)
        extra.append(extra_link)
    try:
        if target.exists() and not link.exists():
            os.symlink(target, link)
        ignore = [
            "-i",
            "migrations",
            "-i",
            "_base_templates/plates",
            "-i",
            "_base_templates/exams",
            "-i",
            "_base_templates/notices",
            "-i",
            "_base_templates/violations",
            "-i",
            "_base_templates/certificates",
        ]
        subprocess.run(
            [PY, "-P", "-m", "django", "makemessages", "-l", "zh_Hans", "--symlinks", "--no-location", *ignore],
            cwd=app_dir,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
        )
    finally:
        for path in [link, *extra]:
            if path.is_symlink():
                path.unlink()
    subprocess.run(
        [PY, "-P", "-m", "django", "compilemessages", "-l", "zh_Hans"],
        cwd=app_dir,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
    )


if __name__ == "__main__":
    main(sys.argv[1])
