def inbox(request):
    """Unread-notice count for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from notices.models import Notice

    return {"unread_notices": Notice.objects.filter(id_number=user.id_number, read_at__isnull=True).count()}
