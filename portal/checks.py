"""Deployment checks: production refuses the sandboxes and the secrets published in the repository.

The sandbox gateway, carrier and push service and the console SMS backend follow the real
protocols but accept anything signed with a secret anyone can read in portal/settings.py: a
notification signed with the default payment secret marks an order paid. With DEBUG off they are
an error (`manage.py check`, `migrate` and the WSGI application refuse to start) unless the
deployment says it is a demo with ALLOW_SANDBOX_BACKENDS=true (`make bench` does).
"""

from django.conf import settings
from django.core import checks

# The defaults written in portal/settings.py (and notices.push): public, so never a real secret.
PUBLIC_DEFAULT_SECRETS = {
    "SECRET_KEY": "dev-only-insecure-key-change-me",
    "PAYMENT_SANDBOX_SECRET": "dev-payment-secret",
    "POSTAL_SANDBOX_SECRET": "dev-postal-secret",
    "SMS_HTTP_SECRET": "dev-sms-secret",
    "PUSH_SANDBOX_SECRET": "dev-push-secret",
    "ACCIDENT_INSURER_SECRET": "dev-insurer-secret",
    "ID_HASH_KEY": "dev-id-hash-key",
}
# Fernet keys that encrypt ID numbers (portal.idfields): a list, the first of which encrypts.
PUBLIC_DEFAULT_ENCRYPTION_KEY = "Rrx5nviSxS3W639aW6a2fnu9TmWL-AlqOKJId8RilrQ="
SANDBOX_BACKENDS = {
    "PAYMENT_GATEWAY": ("portal.payments.gateways.SandboxGateway",),
    "POSTAL_CARRIER": ("portal.postal.carriers.SandboxCarrier",),
    "SMS_BACKEND": ("portal.sms.ConsoleBackend", "portal.sms.LocmemBackend"),
    "PUSH_BACKEND": ("notices.push.SandboxPushBackend",),
    "ACCIDENT_INSURER_BACKEND": ("violations.insurers.SandboxInsurer",),
}
# Secrets used by nothing but a sandbox (the real gateway and carrier have their own).
SECRET_OF_SANDBOX = {
    "PAYMENT_SANDBOX_SECRET": ("PAYMENT_GATEWAY", SANDBOX_BACKENDS["PAYMENT_GATEWAY"]),
    "POSTAL_SANDBOX_SECRET": ("POSTAL_CARRIER", SANDBOX_BACKENDS["POSTAL_CARRIER"]),
}
HINT = "Configure the real service and its secret, or set ALLOW_SANDBOX_BACKENDS=true for a demo (never in production)."


@checks.register("open122", deploy=False)
def production_backends(app_configs=None, **kwargs):
    """open122.E001: a sandbox backend with DEBUG off; open122.E002: a public default secret;
    open122.E003: ID numbers encrypted with the public default key."""
    if settings.DEBUG or getattr(settings, "ALLOW_SANDBOX_BACKENDS", False):
        return []
    errors = []
    for name, sandboxes in SANDBOX_BACKENDS.items():
        value = getattr(settings, name, "")
        if value in sandboxes:
            errors.append(
                checks.Error(f"{name} is the sandbox {value} while DEBUG is off.", hint=HINT, id="open122.E001")
            )
    for name, public in PUBLIC_DEFAULT_SECRETS.items():
        only_for = SECRET_OF_SANDBOX.get(name)
        if only_for and getattr(settings, only_for[0], "") not in only_for[1]:
            continue  # that secret signs only the sandbox's messages, and the sandbox is off
        value = getattr(settings, name, public)
        if not value or value == public:
            errors.append(
                checks.Error(
                    f"{name} is the default written in the repository (or empty) while DEBUG is off.",
                    hint=HINT,
                    id="open122.E002",
                )
            )
    keys = getattr(settings, "FIELD_ENCRYPTION_KEY", None) or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not keys or keys[0] == PUBLIC_DEFAULT_ENCRYPTION_KEY:
        errors.append(
            checks.Error(
                "ID_ENCRYPTION_KEY (the key that encrypts ID numbers) is the default written in the repository "
                "while DEBUG is off.",
                hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` and keep it out of the repository (docs/deploy.md).",
                id="open122.E003",
            )
        )
    return errors


def refuse_to_start() -> None:
    """Called by portal.wsgi: gunicorn does not run system checks, so the application does."""
    errors = [e for e in production_backends() if e.is_serious()]
    if errors:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
