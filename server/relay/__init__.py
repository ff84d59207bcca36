"""The encrypted relay: typed WebSocket frames, the mailbox, and the connection that joins them."""
