-- DNS abuse: registrars in the directory and abuse reports as a workflow
-- (src/dnsabuse/reports.h, docs/dns-abuse.md).
--
-- orgs.iana_id: the IANA Registrar ID of an organisation of kind registrar
-- (unique among local writes, checked by the directory), so registration
-- data (which names registrars by IANA id) resolves to the organisation that
-- receives abuse reports.
ALTER TABLE orgs ADD COLUMN iana_id BIGINT;
CREATE INDEX orgs_iana_id ON orgs(iana_id);

-- dns_reports becomes a report with its own id, built from the observatory
-- (first_day names the listing episode) or filed by hand (first_day NULL,
-- evidence given by the filer), then routed as a comms message whose
-- workflow (acknowledged, responded, declined, closed) updates it:
--   status   filed -> sent -> acknowledged -> mitigated | declined | closed
--   evidence JSON {urls[], feed_entries[], first_seen, screenshot_sha256}
--   ack_due / response_due: the message's deadlines for the recipient (ms)
-- Reports before this migration keep their message id as report id.
CREATE TABLE dns_reports_v2 (
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
  action TEXT CHECK (action IN ('suspended', 'other_action')),
  reason TEXT,
  responded_day TEXT,
  ttm_days BIGINT
);
INSERT INTO dns_reports_v2 (id, domain, first_day, tld, registrar, categories, evidence, filed_at,
                            message_id, recipient_org, routed_to, sent_at, status, action, reason,
                            responded_day)
  SELECT r.message_id, r.domain, r.first_day, COALESCE(l.tld, ''), COALESCE(l.registrar, '0'),
         COALESCE(l.categories, ''), '{}', r.sent_at, r.message_id, r.recipient_org, r.routed_to,
         r.sent_at, r.status, r.action, r.reason, r.responded_day
  FROM dns_reports r LEFT JOIN dns_listings l ON l.domain = r.domain AND l.first_day = r.first_day;
DROP TABLE dns_reports;
ALTER TABLE dns_reports_v2 RENAME TO dns_reports;
CREATE INDEX dns_reports_listing ON dns_reports(domain, first_day);
CREATE INDEX dns_reports_recipient ON dns_reports(recipient_org, id);
CREATE INDEX dns_reports_filer ON dns_reports(filer_org, id);
CREATE INDEX dns_reports_open ON dns_reports(status, id);
