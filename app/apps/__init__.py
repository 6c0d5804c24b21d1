"""`/apps`: the apps that sign in through Gatehouse's OpenID Provider (docs/oidc.md, "The Apps page")."""
