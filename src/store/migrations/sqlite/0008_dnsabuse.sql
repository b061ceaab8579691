-- DNS abuse observatory (src/dnsabuse, docs/dns-abuse.md).
--
-- dns_snapshots: one row per ingested day (YYYY-MM-DD), with the inputs
-- (files and their SHA-256, feed names and read times), the counting rules
-- and the day's totals, all JSON text, so every figure can be reproduced.
CREATE TABLE dns_snapshots (
  day TEXT PRIMARY KEY,
  created BIGINT NOT NULL,
  inputs TEXT NOT NULL,
  rules TEXT NOT NULL,
  totals TEXT NOT NULL
);

-- dns_figures: the day's figures per scope: 'all' (key ''), 'tld' (key the
-- TLD) or 'registrar' (key the IANA id, '0' when unknown). abused counts
-- distinct registrable domains in the zone listed by at least one feed;
-- per10k = abused * 10000 / domains; share = abused / all abused that day;
-- new_share = new_abused / known_age (listed less than new_days after
-- creation, among abused domains with a known creation date). mitigated and
-- median_ttm (days) are the listings that ended that day. by_feed is a JSON
-- object "category:source" -> abused domains.
CREATE TABLE dns_figures (
  day TEXT NOT NULL REFERENCES dns_snapshots(day) ON DELETE CASCADE,
  scope TEXT NOT NULL CHECK (scope IN ('all', 'tld', 'registrar')),
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  domains BIGINT NOT NULL,
  abused BIGINT NOT NULL,
  phishing BIGINT NOT NULL,
  malware BIGINT NOT NULL,
  botnet_cc BIGINT NOT NULL,
  spam BIGINT NOT NULL,
  new_abused BIGINT NOT NULL,
  known_age BIGINT NOT NULL,
  per10k REAL NOT NULL,
  share REAL NOT NULL,
  new_share REAL,
  mitigated BIGINT NOT NULL,
  median_ttm REAL,
  by_feed TEXT NOT NULL,
  PRIMARY KEY (day, scope, key)
);

-- dns_listings: listing episodes of a registrable domain, from the first day
-- it was seen listed and in the zone to the day it was found gone from the
-- feeds or the zone, or the registrar confirmed mitigation (mitigated_day,
-- mitigation, ttm_days = mitigated_day - first_day; NULL while open). A
-- domain listed again later opens a new episode.
CREATE TABLE dns_listings (
  domain TEXT NOT NULL,
  first_day TEXT NOT NULL,
  last_day TEXT NOT NULL,
  tld TEXT NOT NULL,
  registrar TEXT NOT NULL,
  categories TEXT NOT NULL,
  feeds TEXT NOT NULL,
  evidence TEXT NOT NULL,
  created_day TEXT,
  mitigated_day TEXT,
  mitigation TEXT CHECK (mitigation IN ('left_zone', 'delisted', 'confirmed')),
  ttm_days BIGINT,
  PRIMARY KEY (domain, first_day)
);
CREATE INDEX dns_listings_open ON dns_listings(mitigated_day, domain);

-- dns_reports: abuse reports routed for a listing episode (as a comms
-- message to the registrar's, or the registry's, organisation) and the
-- response: suspended / other_action (mitigation confirmed, which ends the
-- episode) or declined with a reason.
CREATE TABLE dns_reports (
  domain TEXT NOT NULL,
  first_day TEXT NOT NULL,
  message_id TEXT NOT NULL,
  recipient_org TEXT NOT NULL,
  routed_to TEXT NOT NULL CHECK (routed_to IN ('registrar', 'registry')),
  sent_at BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sent', 'mitigated', 'declined')),
  action TEXT CHECK (action IN ('suspended', 'other_action')),
  reason TEXT,
  responded_day TEXT,
  PRIMARY KEY (message_id),
  FOREIGN KEY (domain, first_day) REFERENCES dns_listings(domain, first_day)
);
CREATE INDEX dns_reports_listing ON dns_reports(domain, first_day);
