def inbox(request):
    """Unread-notice count for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from notices.selectors import unread_count

    return {"unread_notices": unread_count(user)}
