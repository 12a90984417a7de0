"""Single sign-on with OpenID Connect: a provider per practice, the authorization code flow."""
