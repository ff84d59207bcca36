"""Accounts: roles, the directory of networks and institutions, invites, login and tokens,
and the server side of the signed statements."""
