"""Subscriptions -> channels: the router fills the outbox, the deliverer empties it into Discord."""
