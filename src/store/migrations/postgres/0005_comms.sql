-- Communications (src/comms): projections of comms.message and comms.event
-- envelopes, and node-local settings (deadline policy, webhooks).
CREATE TABLE messages (
  id TEXT PRIMARY KEY,               -- envelope id
  thread_id TEXT NOT NULL,
  in_reply_to TEXT,
  kind TEXT NOT NULL,
  template_version INTEGER NOT NULL,
  author_org TEXT NOT NULL,
  sender_user TEXT,
  urgency TEXT NOT NULL,
  tlp TEXT NOT NULL,
  pap TEXT,
  is_check INTEGER NOT NULL DEFAULT 0,
  needs_response INTEGER NOT NULL DEFAULT 0,
  created BIGINT NOT NULL
);
CREATE INDEX messages_author ON messages (author_org, id);
CREATE INDEX messages_thread ON messages (thread_id, id);

CREATE TABLE message_recipients (
  message_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  state TEXT NOT NULL,
  escalated INTEGER NOT NULL DEFAULT 0,
  ack_due BIGINT NOT NULL,
  response_due BIGINT,
  delivered BIGINT,
  acknowledged BIGINT,
  responded BIGINT,
  closed BIGINT,
  declined BIGINT,
  PRIMARY KEY (message_id, org_id)
);
CREATE INDEX message_recipients_org ON message_recipients (org_id, message_id);
CREATE INDEX message_recipients_due ON message_recipients (state, ack_due);

CREATE TABLE message_events (
  id TEXT PRIMARY KEY,               -- envelope id (or envelope id + '/responded')
  message_id TEXT NOT NULL,
  org_id TEXT NOT NULL,              -- recipient concerned, '' for the whole message
  actor_org TEXT NOT NULL,
  actor_user TEXT,
  action TEXT NOT NULL,
  stage TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX message_events_message ON message_events (message_id, at);

-- Deadline policy: grouping '' is the node default.
CREATE TABLE comms_policy (
  grouping TEXT NOT NULL,
  urgency TEXT NOT NULL,
  ack_ms BIGINT NOT NULL,
  response_ms BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  PRIMARY KEY (grouping, urgency)
);

-- Webhooks per organisation; the signing secret encrypted under the master key.
CREATE TABLE org_webhooks (
  org_id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret_enc TEXT NOT NULL,
  updated BIGINT NOT NULL
);
