-- Federation (src/federation): relay links and pruning of relayed envelopes.
--
-- peers.relay: this peering is a relay link (entente peer add --relay, or
-- entente peer relay ID on|off): this node offers its own envelopes for relay
-- to that peer, keeps what that peer offers for relay, and forwards relayed
-- envelopes to it. Relay offers from other peers are refused and counted.
--
-- peers.relay_acked: the highest relay cursor that peer has asked with
-- (relay_after of its feed requests): it holds every relayed envelope up to
-- it. Relayed envelopes at or below every active peer's relay_acked, or
-- received more than 30 days ago, are deleted (docs/federation.md).
ALTER TABLE peers ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE peers ADD COLUMN relay_acked BIGINT NOT NULL DEFAULT 0;
CREATE INDEX federation_relay_received ON federation_relay (received);
