# DNS abuse observatory (src/api/routes_dns.cc, docs/dns-abuse.md).
pday = {"name": "day", "in": "path", "required": True, "schema": s("string", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$")}
pmonth = {"name": "month", "in": "path", "required": True, "schema": s("string", pattern="^[0-9]{4}-[0-9]{2}$")}
_cols = ["key", "label", "days", "domains", "abused", "per10k", "share", "new_share", "phishing", "malware",
         "botnet_cc", "spam", "mitigated", "median_ttm", "median_ttm_days", "new_abused", "known_age"]
_scope = q("scope", "tld (default), registrar or all", enum=["all", "tld", "registrar"])
_sort = [q("sort", "column to sort by (default per10k, descending)", enum=_cols),
         q("order", "asc or desc (default desc, asc for key and label)", enum=["asc", "desc"]),
         {"name": "offset", "in": "query", "required": False, "description": "rows to skip", "schema": s("integer", minimum=0, maximum=10000000, default=0)},
         {"name": "limit", "in": "query", "required": False, "description": "page size", "schema": s("integer", minimum=1, maximum=1000, default=50)}]
_num = s("number")
_opt_num = {"type": ["number", "null"]}
schemas.update({
  "DnsFigureRow": s("object", description="one scope's figures: a day's (as `entente dns day --json`) or a month's medians (as `entente dns report --format json`)", properties={
      "scope": s("string", enum=["all", "tld", "registrar"]), "key": s("string", description="the TLD or the IANA id"), "label": s("string"),
      "org": {"type": ["string", "null"], "description": "registrar rows: the directory organisation with this IANA id"},
      "days": s("integer"), "domains": _num, "abused": _num, "per10k": _num, "share": _num, "new_share": _opt_num,
      "phishing": _num, "malware": _num, "botnet_cc": _num, "spam": _num, "mitigated": s("integer"),
      "median_ttm": _opt_num, "median_ttm_days": _opt_num, "by_feed": s("object")}),
  "DnsFigureTable": s("object", properties={
      "total": s("integer"), "offset": s("integer"), "items": s("array", items=ref("DnsFigureRow")),
      "scope": s("string"), "day": s("string"), "month": s("string"), "days": s("array", items=s("string"))}),
  "DnsDays": s("object", properties={"items": s("array", items=s("object", properties={"day": s("string"), "totals": s("object")}))}),
  "DnsMonthReport": s("object", properties={"month": s("string"), "days": s("array", items=s("string")), "rules": s("object"),
      "inputs": s("array", items=s("object")), "rows": s("array", items=ref("DnsFigureRow"))}),
  "DnsTrend": s("object", properties={"scope": s("string"), "from": s("string"), "to": s("string"), "series": s("array", items=s("object", properties={
      "key": s("string"), "label": s("string"), "points": s("array", items=s("object", description="day, domains, abused, per10k, share, new_share, phishing, malware, botnet_cc, spam, mitigated, median_ttm"))}))}),
  "DnsEvidence": s("object", additionalProperties=False, required=["first_seen"], properties={
      "urls": s("array", maxItems=50, items=s("string", maxLength=2000)),
      "feed_entries": s("array", maxItems=50, items=s("string", maxLength=2000), description="feed lines or \"category:source\" names"),
      "first_seen": s("string", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
      "screenshot_sha256": s("string", pattern="^[0-9a-f]{64}$")}),
  "DnsReportInput": {"oneOf": [
      s("object", additionalProperties=False, required=["domain", "categories", "evidence"], description="a report filed by hand", properties={
          "domain": s("string", maxLength=253), "categories": s("array", minItems=1, maxItems=4, items=s("string", enum=["phishing", "malware", "botnet_cc", "spam"])),
          "registrar_iana_id": s("integer", minimum=1, maximum=99999999), "evidence": ref("DnsEvidence")}),
      s("object", additionalProperties=False, required=["from_observatory", "domain"], description="a report on the domain's open listing episode", properties={
          "from_observatory": {"const": True}, "domain": s("string", maxLength=253), "screenshot_sha256": s("string", pattern="^[0-9a-f]{64}$")})]},
  "DnsRouteInput": s("object", additionalProperties=False, properties={
      "escalate": s("boolean", description="send to the registry instead of the registrar"),
      "registry_org": s("string", description="organisation (kind tld_registry) receiving escalations and reports on unknown registrars"),
      "urgency": s("string", enum=["urgent", "priority", "routine"])}),
  "DnsReport": s("object", properties={
      "id": uuid, "domain": s("string"), "first_day": {"type": ["string", "null"]}, "tld": s("string"), "registrar": s("integer"),
      "source": s("string", enum=["observatory", "manual"]), "categories": s("array", items=s("string")), "evidence": s("object"),
      "filer_org": s("string"), "filed_by": {"type": ["string", "null"]}, "filed_at": ts,
      "message_id": {"type": ["string", "null"]}, "recipient_org": {"type": ["string", "null"]}, "routed_to": {"type": ["string", "null"], "enum": ["registrar", "registry", None]},
      "sent_at": {"type": ["string", "null"]}, "ack_due": {"type": ["string", "null"]}, "response_due": {"type": ["string", "null"]},
      "acknowledged_at": {"type": ["string", "null"]}, "answered_at": {"type": ["string", "null"]},
      "workflow_state": {"type": ["string", "null"], "description": "the recipient's state in the comms workflow"},
      "status": s("string", enum=["filed", "sent", "acknowledged", "mitigated", "declined", "closed"]),
      "action": {"type": ["string", "null"], "enum": ["suspended", "deleted", "other_action", None], "description": "the confirmed mitigation"},
      "reason": {"type": ["string", "null"]}, "responded_day": {"type": ["string", "null"]},
      "action_taken": {"type": ["string", "null"], "description": "what the registrar says it did (response template version 2)"},
      "outcome_source": {"type": ["string", "null"], "enum": ["field", "summary", "workflow", "manual", None], "description": "where the outcome was read: the response's outcome field, its summary line, the comms decline, or `entente dns respond`"},
      "ttm_days": {"type": ["integer", "null"], "description": "days from the first listing (first seen) to the confirmed mitigation"},
      "answer_after_ms": {"type": ["integer", "null"], "description": "from sending the report to the registrar's answer"},
      "timeline": s("array", items=s("object"), description="GET of one report: the message's timeline")}),
})
R += [
 ("get", "/api/v1/dns/days", "dns.read", "Snapshot days stored, newest first, with their totals", [limit], None, (200, ref("DnsDays"), None)),
 ("get", "/api/v1/dns/days/{day}/figures", "dns.read", "A day's figures per TLD or registrar (as `entente dns day`), sorted and paginated", [pday, _scope] + _sort, None, (200, ref("DnsFigureTable"), None)),
 ("get", "/api/v1/dns/months/{month}/figures", "dns.read", "A month's figures per TLD or registrar (medians of the daily figures, as `entente dns report`), sorted and paginated", [pmonth, _scope] + _sort, None, (200, ref("DnsFigureTable"), None)),
 ("get", "/api/v1/dns/months/{month}/report", "dns.read", "The monthly report as JSON, CSV or HTML (`format` or the Accept header)", [pmonth, q("format", "html, csv or json", enum=["html", "csv", "json"])], None, (200, ref("DnsMonthReport"), None)),
 ("get", "/api/v1/dns/trends", "dns.read", "Series of daily figures per TLD or registrar (at most 366 days, 20 keys)", [_scope, q("key", "a TLD or IANA id (repeatable)"), q("from", "first day YYYY-MM-DD"), q("to", "last day YYYY-MM-DD")], None, (200, ref("DnsTrend"), None)),
 ("get", "/api/v1/dns/reports", "dns.read", "Abuse reports filed by or addressed to your organisation (every report for operators), newest first; registrars' answers are read from the comms workflow first", [q("box", "received or filed", enum=["received", "filed"]), q("status", "report status"), q("domain", "registrable domain"), cursor, limit], None, (200, page("DnsReport"), None)),
 ("post", "/api/v1/dns/reports", "dns.write", "File an abuse report by hand (evidence) or from the observatory's listing of a domain", [], "DnsReportInput", (201, ref("DnsReport"), None)),
 ("get", "/api/v1/dns/reports/{id}", "dns.read", "One abuse report with its message timeline", [pid], None, (200, ref("DnsReport"), None)),
 ("post", "/api/v1/dns/reports/{id}/route", "dns.write", "Send the report to the registrar's organisation (by IANA id in the directory) or the registry, as a request for assistance", [pid], "DnsRouteInput", (200, ref("DnsReport"), None)),
]
