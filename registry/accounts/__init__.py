"""Accounts: the registry's users (database logins, OS accounts, API credentials), their
roles and scopes, added, disabled and listed by an admin.

May import: ``registry.places`` (a desk user's venue), ``registry.privacy`` and below.
"""
