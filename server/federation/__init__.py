"""Federation: this deployment as a node among peer nodes (docs/federation.md).

`node` (identity and the well-known document), `signatures` (RFC 9421 request signing),
`peering` (the allow-list, the handshake, inbound authentication), `transport` (signed calls to
peers), `availability` (anonymised counts), `forwarding` (pseudonymous requests), `remote`
(stand-ins for people on a peer node), `outbox` (transactions with retry) and `inbox` (applying
a peer's transactions).
"""

__all__: list[str] = []
