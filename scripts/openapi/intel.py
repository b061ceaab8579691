# Threat intelligence (STIX 2.1) and communities of trust (src/api/routes_intel.cc, docs/intel.md).
# Every read shows only what the caller's organisation may read (intel/access.h); a community
# the organisation is not in, or an object it may not read, is 404.
pcommunity = {"name": "id", "in": "path", "required": True, "description": "community id", "schema": uuid}
porg = {"name": "org", "in": "path", "required": True, "description": "organisation id", "schema": uuid}
pstix = {"name": "id", "in": "path", "required": True, "description": "STIX identifier (type--UUID)", "schema": s("string", maxLength=300)}
_types = q("type", "STIX type (repeatable)", maxLength=250)
_tlps = q("tlp", "TLP of the object (repeatable); none = unmarked", enum=["clear", "green", "amber", "amber+strict", "red", "none"])
_community = q("community", "a community your organisation is an active member of", format="uuid")
_revoked = q("revoked", "include revoked objects (default true)", enum=["true", "false"])
_after = q("after", "the `next` value of the previous page", pattern="^[0-9]{1,19}$")
schemas.update({
  "CommunityCharter": s("object", additionalProperties=False, required=["name", "purpose", "allowed_kinds", "max_tlp"], properties={
      "name": s("string", minLength=1, maxLength=200), "purpose": s("string", minLength=1, maxLength=4000),
      "allowed_kinds": s("array", minItems=1, maxItems=32, items=s("string", description="organisation kind of the directory")),
      "max_tlp": tlp, "default_pap": pap,
      "vouches_required": s("integer", minimum=1, maximum=50, default=2, description="distinct member organisations that must vouch to admit (or vote to remove) one; capped at the number of members"),
      "single_sponsor": s("boolean", description="true allows (and requires) vouches_required = 1: the inviter alone admits")}),
  "CommunityMember": s("object", properties={
      "org": uuid, "status": s("string", enum=["invited", "active", "left", "removed"]), "invited_by": uuid, "since": s("integer"),
      "vouches": s("array", items=uuid, description="invited: active members who vouched (the invitation counts)"),
      "removal_votes": s("array", items=uuid, description="active: members who voted to remove it")}),
  "Community": s("object", properties={
      "id": uuid, "charter": ref("CommunityCharter"), "created_by": uuid, "created": s("integer"),
      "my_status": s("string", enum=["invited", "active"]),
      "members": s("array", items=ref("CommunityMember"), description="active members only see it")}),
  "CommunityList": s("object", properties={"items": s("array", items=ref("Community"))}),
  "Invitation": s("object", additionalProperties=False, required=["org"], properties={"org": uuid}),
  "StixBundle": s("object", description="a STIX 2.1 bundle (or a single object); at most 10,000 objects and the HTTP body limit"),
  "ImportReport": s("object", properties={
      "bundle_id": s("string"), "stored": s("boolean"), "total": s("integer"), "added": s("integer"), "unchanged": s("integer"),
      "ignored_older": s("integer"), "rejected": s("integer"),
      "objects": s("array", items=s("object", properties={
          "index": s("integer"), "id": s("string"), "version": s("string"),
          "fate": s("string", enum=["added", "unchanged", "ignored_older", "rejected"]),
          "path": s("string", description="JSON pointer in the bundle (rejections)"), "reason": s("string")}))}),
  "IntelSummary": s("object", properties={
      "id": s("string"), "type": s("string"), "version": s("string"), "tlp": {"type": ["string", "null"]},
      "community": {"type": ["string", "null"]}, "owner_org": s("string"), "revoked": s("boolean"), "latest": s("boolean"),
      "added_at": s("integer"), "name": s("string"), "pattern": s("string"), "value": s("string"), "labels": s("array", items=s("string")),
      "relationship_type": s("string"), "source_ref": s("string"), "target_ref": s("string"), "created_by_ref": s("string")}),
  "IntelPage": s("object", properties={"items": s("array", items=ref("IntelSummary")), "next": {"type": ["string", "null"], "description": "cursor for the next page (`after`)"}}),
  "IntelObject": s("object", description="the summary of the newest version the caller may read, plus:", properties={
      "object": s("object", description="the STIX object as stored (canonical JSON)"),
      "versions": s("array", items=s("object", properties={"version": s("string"), "latest": s("boolean"), "revoked": s("boolean"), "tlp": {"type": ["string", "null"]}, "added_at": s("integer")})),
      "relationships": s("object", properties={
          "outgoing": s("array", items=ref("IntelSummary"), description="relationships whose source is this object, with `other` (id, type, name) when readable"),
          "incoming": s("array", items=ref("IntelSummary"))})}),
})
R += [
 ("get", "/api/v1/communities", "intel.read", "Communities your organisation is an active member of or invited to", [], None, (200, ref("CommunityList"), None)),
 ("post", "/api/v1/communities", "community.manage", "Create a community of trust with its charter; your organisation is its first member", [], "CommunityCharter", (201, ref("Community"), None)),
 ("get", "/api/v1/communities/{id}", "intel.read", "A community's charter and, for active members, its members with pending vouches and votes (404 for anyone else)", [pcommunity], None, (200, ref("Community"), None)),
 ("post", "/api/v1/communities/{id}/invitations", "community.manage", "Invite an organisation of an allowed kind (the invitation is your organisation's vouch)", [pcommunity], "Invitation", (201, ref("Community"), None)),
 ("post", "/api/v1/communities/{id}/invitations/{org}/vouch", "community.manage", "Vouch for an invited organisation; admitted when the charter's number of distinct members have vouched", [pcommunity, porg], None, (200, ref("Community"), None)),
 ("post", "/api/v1/communities/{id}/leave", "community.manage", "Your organisation leaves the community (recorded in the journal)", [pcommunity], None, (200, ref("Community"), None)),
 ("post", "/api/v1/communities/{id}/members/{org}/remove", "community.manage", "Vote to remove a member; removed when the charter's number of distinct other members have voted", [pcommunity, porg], None, (200, ref("Community"), None)),
 ("post", "/api/v1/intel/bundles", "intel.write", "Import a STIX 2.1 bundle, optionally into a community (objects above its charter's TLP are rejected); 422 problem+json with `errors` and `report` when anything is rejected and nothing stored, unless partial=true",
  [_community, q("partial", "keep the valid objects and report each fate", enum=["true", "false"]), q("interop", "also apply the STIX interoperability profile", enum=["true", "false"])],
  "StixBundle", (200, ref("ImportReport"), None)),
 ("get", "/api/v1/intel/objects", "intel.read", "Search the objects your organisation may read (newest versions), in order of arrival",
  [_types, _tlps, q("label", "an element of labels (exact)", maxLength=200), q("q", "substring of id, name, pattern or value (ASCII case-insensitive)", maxLength=200), _community, _revoked, _after, limit], None, (200, ref("IntelPage"), None)),
 ("get", "/api/v1/intel/objects/{id}", "intel.read", "One object you may read, its versions and the relationships in and out you may read", [pstix], None, (200, ref("IntelObject"), None)),
 ("get", "/api/v1/intel/export", "intel.read", "A STIX 2.1 bundle of the objects your organisation may read",
  [_types, _tlps, _community, _revoked, q("all_versions", "every version, not only the newest", enum=["true", "false"])], None, (200, ref("StixBundle"), "application/stix+json;version=2.1")),
]
