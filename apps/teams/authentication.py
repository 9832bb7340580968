"""DRF authentication with personal access tokens: `Authorization: Bearer <token>`.

A request without an Authorization header falls through to the next
authenticator (the browser session). A Bearer header that is malformed, or a
token that is unknown, expired, revoked or belongs to an inactive user, is a
401 with `WWW-Authenticate: Bearer ...`; it never falls back to the session.
"""

from rest_framework import authentication, exceptions

from apps.teams.services import token_authenticate

MAX_HEADER_LENGTH = 512


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        if len(header) > MAX_HEADER_LENGTH:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: too long.")
        try:
            parts = header.decode("ascii").split()
        except UnicodeDecodeError:
            parts = []
        if not parts:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        if parts[0].lower() != self.keyword.lower():
            return None  # another scheme (e.g. Basic) is not ours to judge
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        token = token_authenticate(parts[1])
        if token is None:
            request.bearer_error = "invalid_token"
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        # RFC 6750: say why a presented token was refused; a bare challenge when none was sent.
        error = getattr(request, "bearer_error", None)
        return f'{self.keyword} realm="api", error="{error}"' if error else f'{self.keyword} realm="api"'
