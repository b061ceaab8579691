# Matching and feeds (src/api/routes_match.cc, docs/matching.md). Both use the indicators the
# caller's organisation may read (intel/access.h); feeds leave TLP:RED out and apply a PAP
# ceiling per format. Feeds carry a strong ETag and answer If-None-Match with 304.
pformat = {"name": "format", "in": "path", "required": True, "description": "rpz, zeek, csv (the file); misp, suricata (the list of files)",
           "schema": s("string", enum=["rpz", "misp", "suricata", "zeek", "csv"])}
pfile = {"name": "file", "in": "path", "required": True,
         "description": "misp: manifest.json, <event uuid>.json, hashes.csv; suricata: entente.rules and its lists",
         "schema": s("string", maxLength=200)}
_kinds = ["domain", "ip", "url", "email", "md5", "sha1", "sha256"]
schemas.update({
  "MatchBatch": s("object", additionalProperties=False, required=["values"], properties={
      "values": s("array", maxItems=10000, description="at most the node's batch limit (serve --match-batch-limit, default 10,000; more: 413). Also accepted: a text/plain body, one value per line (?report_sightings=true)",
                  items={"oneOf": [s("string", maxLength=4096), s("object", additionalProperties=False, required=["value"], properties={
                      "value": s("string", maxLength=4096), "kind": s("string", enum=_kinds, description="instead of detecting it")})]}),
      "report_sightings": s("boolean", default=False, description="report one sighting per indicator hit (needs intel.write); distributed like the indicator")}),
  "MatchHit": s("object", properties={
      "id": s("string", description="indicator id"), "kind": s("string"), "match": s("string", enum=["exact", "subdomain", "cidr", "regex"]),
      "prefix": s("integer"), "tlp": tlp, "pap": pap, "community": s("string"), "confidence": {"type": ["integer", "null"]},
      "valid_from": {"type": ["string", "null"]}, "valid_until": {"type": ["string", "null"]}}),
  "MatchAnswer": s("object", properties={
      "results": s("array", items=s("object", properties={
          "index": s("integer"), "value": s("string", description="as given (invalid UTF-8 shown as U+FFFD)"),
          "kind": s("string", enum=_kinds), "normalized": s("string"), "hits": s("array", items=ref("MatchHit")),
          "error": s("string", description="why this value cannot be matched (invalid IP/CIDR, UTF-8, IDNA, ...)")})),
      "summary": s("object", properties={"values": s("integer"), "matched": s("integer"), "errors": s("integer"), "hits": s("integer")}),
      "index": s("object", properties={"indicators": s("integer"), "built_at": s("string")}),
      "sightings": s("object", properties={"added": s("integer"), "updated": s("integer"), "unchanged": s("integer"), "ids": s("array", items=s("string"))})}),
  "FeedListing": s("object", properties={
      "format": s("string"), "stamp": s("string"),
      "stats": s("object", properties={"written": s("integer"), "excluded": s("integer"), "invalid": s("integer"), "unsupported": s("integer"), "duplicates": s("integer")}),
      "files": s("array", items=s("object", properties={"name": s("string"), "url": s("string"), "etag": s("string"), "bytes": s("integer")}))}),
})
R += [
 ("post", "/api/v1/match", "match", "Match a batch of values against the indicators your organisation may use; each value answered with its kind, normalised form and hits (or its own error)",
  [q("report_sightings", "text/plain bodies only: report sightings of the hits", enum=["true", "false"])], "MatchBatch", (200, ref("MatchAnswer"), None)),
 ("get", "/api/v1/feeds/{format}", "match", "A feed of the indicators your organisation may use (ETag; If-None-Match gives 304): rpz, zeek, csv files; misp and suricata list their files",
  [pformat], None, (200, ref("FeedListing"), None)),
 ("get", "/api/v1/feeds/{format}/{file}", "match", "One file of the misp feed (MISP subscribes to /api/v1/feeds/misp) or of suricata (ETag; If-None-Match gives 304)",
  [pformat, pfile], None, (200, None, "application/json")),
]
