"""Who is asking: the client address behind a configured number of trusted proxies."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as seen by the outermost proxy we trust.

    Each trusted proxy (a load balancer, a TLS terminator) appends the address it received the
    request from to X-Forwarded-For; everything to the left of what our proxies wrote was typed by
    the client and may be forged. With TRUSTED_PROXY_HOPS = 0 the header is ignored entirely.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if hops <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return remote
    # Fewer entries than hops: the request skipped some proxy; the leftmost is the best we have.
    return forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
