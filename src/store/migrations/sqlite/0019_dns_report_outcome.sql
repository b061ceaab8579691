-- DNS abuse: the registrar's answer as structured fields (the comms
-- "response" template version 2 states an outcome: suspended, deleted,
-- other_action or declined, the action taken and the reason;
-- src/dnsabuse/reports.h, docs/dns-abuse.md).
--
-- dns_reports.action accepts 'deleted' beside 'suspended' and
-- 'other_action'; action_taken keeps what the registrar says it did;
-- outcome_source says where the outcome was read: 'field' (the template's
-- outcome field), 'summary' (an older answer's summary line), 'workflow'
-- (the comms decline), 'manual' (`entente dns respond`). SQLite cannot alter
-- a CHECK constraint, so the table is rebuilt (same columns, same indexes).
CREATE TABLE dns_reports_v3 (
  id TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  first_day TEXT,
  tld TEXT NOT NULL DEFAULT '',
  registrar TEXT NOT NULL DEFAULT '0',
  source TEXT NOT NULL DEFAULT 'observatory' CHECK (source IN ('observatory', 'manual')),
  categories TEXT NOT NULL DEFAULT '',
  evidence TEXT NOT NULL DEFAULT '{}',
  filer_org TEXT NOT NULL DEFAULT '',
  filed_by TEXT,
  filed_at BIGINT NOT NULL DEFAULT 0,
  message_id TEXT UNIQUE,
  recipient_org TEXT,
  routed_to TEXT CHECK (routed_to IN ('registrar', 'registry')),
  sent_at BIGINT,
  ack_due BIGINT,
  response_due BIGINT,
  acknowledged_at BIGINT,
  answered_at BIGINT,
  workflow_state TEXT,
  status TEXT NOT NULL CHECK (status IN ('filed', 'sent', 'acknowledged', 'mitigated', 'declined', 'closed')),
  action TEXT CHECK (action IN ('suspended', 'deleted', 'other_action')),
  reason TEXT,
  responded_day TEXT,
  ttm_days BIGINT,
  action_taken TEXT,
  outcome_source TEXT CHECK (outcome_source IN ('field', 'summary', 'workflow', 'manual'))
);
INSERT INTO dns_reports_v3 (id, domain, first_day, tld, registrar, source, categories, evidence,
                            filer_org, filed_by, filed_at, message_id, recipient_org, routed_to,
                            sent_at, ack_due, response_due, acknowledged_at, answered_at,
                            workflow_state, status, action, reason, responded_day, ttm_days)
  SELECT id, domain, first_day, tld, registrar, source, categories, evidence, filer_org, filed_by,
         filed_at, message_id, recipient_org, routed_to, sent_at, ack_due, response_due,
         acknowledged_at, answered_at, workflow_state, status, action, reason, responded_day,
         ttm_days
  FROM dns_reports;
DROP TABLE dns_reports;
ALTER TABLE dns_reports_v3 RENAME TO dns_reports;
CREATE INDEX dns_reports_listing ON dns_reports(domain, first_day);
CREATE INDEX dns_reports_recipient ON dns_reports(recipient_org, id);
CREATE INDEX dns_reports_filer ON dns_reports(filer_org, id);
CREATE INDEX dns_reports_open ON dns_reports(status, id);
