"""Project-wide request and response guards: Content-Security-Policy, Permissions-Policy, no NUL in addresses."""

import json

from django.conf import settings
from django.http import HttpResponseBadRequest


class ContentSecurityPolicyMiddleware:
    """Send the policy of settings.CONTENT_SECURITY_POLICY on every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(f"{name} {value}" for name, value in settings.CONTENT_SECURITY_POLICY.items())
        self.permissions = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


class RejectNulMiddleware:
    """Answer 400 to an address or query parameter holding a NUL character.

    PostgreSQL can neither store nor compare text with NUL in it: a search box or filter passing
    one on would fail with a server error. Forms already refuse NUL in what they save.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            message = "Bad request: the address contains a NUL character (%00)."
            if request.path.startswith(tuple(getattr(settings, "PROBLEM_JSON_PATHS", ()))):
                # The read API answers every error as an RFC 9457 problem document.
                body = {"type": "about:blank", "title": "Bad request", "status": 400, "detail": message}
                return HttpResponseBadRequest(json.dumps(body), content_type="application/problem+json")
            return HttpResponseBadRequest(message)
        return self.get_response(request)
