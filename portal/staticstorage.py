"""The static-files storage of production (DEBUG off): WhiteNoise's compressed manifest storage,
with the URL of each name worked out once per process.

ManifestStaticFilesStorage reads its manifest once, when the storage is made, and never again,
so a name's URL cannot change while the process runs; yet working it out (the manifest look-up,
cleaning, quoting and joining the name) costs about 70 Python calls, and base.html asks for
three on every page. A process keeps the answers (a few names, the same for every visitor).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:  # collectstatic's own use: never kept
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)  # a missing name raises, and is not kept
            return url
