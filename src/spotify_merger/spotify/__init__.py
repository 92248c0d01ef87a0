"""Everything that talks to Spotify: sign-in, the token cache, the call policy and the client.

- `auth`: the OAuth flows (PKCE, Authorization Code, a headless refresh token) and the auth
  managers that refresh tokens from the cache; `signin.login` runs the flow and says who it is.
- `policy`: the one place that decides how every call is paced, waited on and retried.
- `client`: `SpotifyClient`, the endpoints the tool uses, in both API profiles.

Submodules are imported lazily by the commands (fast `--help`), so this package imports nothing
itself; import from the submodules.
"""
