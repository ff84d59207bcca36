"""Moderation: flags with sealed reports, the risk-ordered queue, the on-call rota, persisted
acknowledgement deadlines that escalate exactly once, moderator actions, and the hash-chained
audit log (docs/moderation.md)."""
