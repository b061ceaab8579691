-- DNS abuse: the registrar's answer as structured fields (the comms
-- "response" template version 2 states an outcome: suspended, deleted,
-- other_action or declined, the action taken and the reason;
-- src/dnsabuse/reports.h, docs/dns-abuse.md).
--
-- dns_reports.action accepts 'deleted' beside 'suspended' and
-- 'other_action'; action_taken keeps what the registrar says it did;
-- outcome_source says where the outcome was read: 'field' (the template's
-- outcome field), 'summary' (an older answer's summary line), 'workflow'
-- (the comms decline), 'manual' (`entente dns respond`). The action check
-- was created with the table as dns_reports_v2 (migration 0015), hence its
-- name.
ALTER TABLE dns_reports DROP CONSTRAINT dns_reports_v2_action_check;
ALTER TABLE dns_reports ADD CONSTRAINT dns_reports_action_check
  CHECK (action IN ('suspended', 'deleted', 'other_action'));
ALTER TABLE dns_reports ADD COLUMN action_taken TEXT;
ALTER TABLE dns_reports ADD COLUMN outcome_source TEXT
  CHECK (outcome_source IN ('field', 'summary', 'workflow', 'manual'));
