# Sightings and correlation of threat intelligence (src/api/routes_sightings.cc, docs/intel.md).
# Reads show only what the caller's organisation may read (intel/access.h); an object it may
# not read is 404, and sightings or correlated objects it may not read are left out of lists
# and counts.
_pstix = {"name": "id", "in": "path", "required": True, "description": "STIX identifier (type--UUID)", "schema": s("string", maxLength=300)}
_ts = s("string", description="RFC 3339 UTC timestamp, e.g. 2026-12-02T10:00:00Z")
_opt = lambda t: {"type": [t, "null"]}
schemas.update({
  "SightingInput": s("object", additionalProperties=False, required=["indicator_id", "first_seen"], properties={
      "indicator_id": s("string", description="an indicator your organisation may read (indicator--UUID)"),
      "count": s("integer", minimum=1, maximum=999999999, default=1),
      "first_seen": _ts, "last_seen": s("string", description="RFC 3339 UTC, not before first_seen nor in the future; default first_seen"),
      "where_org": s("string", format="uuid", description="organisation where it was seen (where_sighted_refs)"),
      "where_location": s("string", maxLength=200, description="free text: a place, a network"),
      "observed_by": s("string", maxLength=200, description="free text: a sensor, a team"),
      "community_id": s("string", format="uuid", description="a community your organisation is an active member of; absent: your organisation alone"),
      "tlp": s("string", enum=["clear", "green", "amber", "amber+strict", "red"], default="amber", description="at most the community charter's highest TLP")}),
  "SightingReport": s("object", additionalProperties=False, required=["sightings"], properties={
      "sightings": s("array", minItems=1, maxItems=1000, items=ref("SightingInput"),
                     description="one sighting object per (indicator, your organisation, UTC day of first_seen): a report for an existing one merges (larger count, earlier first_seen, later last_seen), so reporting twice changes nothing")}),
  "SightingReportResult": s("object", properties={
      "added": s("integer"), "updated": s("integer"), "unchanged": s("integer"),
      "ids": s("array", items=s("string"), description="the sighting id of each input, in order")}),
  "Sighting": s("object", properties={
      "id": s("string"), "reporter_org": _opt("string"), "created_by_ref": _opt("string"), "community_id": _opt("string"),
      "tlp": _opt("string"), "count": s("integer"), "first_seen": _opt("string"), "last_seen": _opt("string"),
      "where_sighted_refs": s("array", items=s("string")), "where_location": _opt("string"), "observed_by": _opt("string"),
      "modified": _opt("string")}),
  "SightingList": s("object", properties={
      "items": s("array", items=ref("Sighting"), description="newest last_seen first"),
      "sightings": s("integer", description="sightings you may read"),
      "total_count": s("integer", description="sum of their counts"),
      "first_seen": _opt("string"), "last_seen": _opt("string")}),
  "Correlation": s("object", properties={
      "kind": s("string", description="domain, ipv4, ipv6, url, email, md5, sha1, sha256 or hash:<algorithm>"),
      "value": s("string", description="the normalised value in this object"),
      "count": s("integer", description="linked objects among the postings examined"),
      "count_capped": s("boolean", description="true when the scan stopped at scan_limit postings (count is then a lower bound)"),
      "matches": s("array", items=s("object", properties={
          "id": s("string"), "type": s("string"), "name": s("string"), "value": s("string"),
          "relation": s("string", enum=["same", "within", "contains"]),
          "owner_org": _opt("string"), "community_id": _opt("string"), "tlp": _opt("string"), "created_by_ref": s("string")}))}),
  "CorrelationList": s("object", properties={"items": s("array", items=ref("Correlation")), "scan_limit": s("integer")}),
})
R += [
 ("post", "/api/v1/intel/sightings", "intel.write", "Report sightings of indicators your organisation may read, each shared in a community of yours (or kept to your organisation) with a TLP; checked whole before anything is stored",
  [], "SightingReport", (200, ref("SightingReportResult"), None)),
 ("get", "/api/v1/intel/objects/{id}/sightings", "intel.read", "Sightings of an object you may read, those you may read only, with totals computed over them",
  [_pstix, q("limit", "most items returned (1-200, default 50)", pattern="^[0-9]{1,3}$")], None, (200, ref("SightingList"), None)),
 ("get", "/api/v1/intel/objects/{id}/correlations", "intel.read", "Objects of other authors or communities that name the same observable (or a containing or contained domain or network), among those you may read",
  [_pstix, q("limit", "most matches per observable (1-100, default 20)", pattern="^[0-9]{1,3}$")], None, (200, ref("CorrelationList"), None)),
]
