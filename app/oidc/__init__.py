"""The OpenID Provider (docs/oidc.md): apps that speak OpenID Connect sign in through Gatehouse.

Authlib is the protocol engine (its Flask AuthorizationServer, the OpenID Connect code grant,
PKCE, revocation, userinfo, RP-initiated logout and the RFC 9207 `iss` parameter); these
modules are the storage, the sign-in and the policy around it, one job each:

- models.py   the tables: registered apps, authorization codes, tokens
- keys.py     the RS256 signing keys in the instance folder (rotation keeps old public keys)
- clients.py  registering, listing and removing apps (the CLI and /apps)
- tokens.py   issued tokens: tied to the login session that granted them, revoked with it
- claims.py   what the ID token and userinfo say about the admin
- grants.py   Authlib's grants and endpoints, given our storage and rules
- server.py   the AuthorizationServer wiring and the discovery document
- flow.py     the authorization request: our sign-in, prompt, max_age and the app's policy
- views.py    the blueprint: thin routes onto the server
"""
