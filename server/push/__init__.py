"""Web Push (RFC 8030, 8291, 8292): browsers' subscriptions and the content-free notices sent
to them. Nothing sent here names a person, a pseudonym or any message content."""
