#!/usr/bin/env python3
"""Writes src/api/openapi.json (OpenAPI 3.1) from the compact description
below. Edit the tables here, run this script, then scripts/gen-api-docs.py.
tests/api/routes_test.cc checks that every route of the node is documented
with the permission it enforces, and that nothing else is."""
import json, os

def s(type_, **kw):
    d = {"type": type_}; d.update(kw); return d

ref = lambda n: {"$ref": f"#/components/schemas/{n}"}
uuid = s("string", format="uuid")
ts = s("string", format="date-time")
lang_tag = s("string", description="BCP 47 language tag whose primary subtag is ISO 639-1, e.g. en, fr-CA, zh-Hans, es-419", maxLength=35)
kinds = ["state", "national_csirt", "regional_org", "tld_registry", "registrar", "law_enforcement",
         "ci_operator", "private_sector", "civil_society", "academia"]
schemas = {
  "Problem": s("object", description="RFC 9457 problem details", properties={
      "type": s("string", description="urn:entente:problem:<code>"), "title": s("string"),
      "status": s("integer"), "detail": s("string"), "instance": s("string"),
      "field": s("string", description="the input field at fault, e.g. channels[0].value")},
      required=["type", "title", "status", "detail", "instance"]),
  "OrganisationInput": s("object", additionalProperties=False, required=["kind", "names"], properties={
      "kind": s("string", enum=kinds),
      "names": s("object", minProperties=1, maxProperties=12, description="language tag -> name (1-200 characters)",
                 additionalProperties=s("string", minLength=1, maxLength=200)),
      "country": s("string", pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2 (user-assigned AA, QM-QZ, XA-XZ, ZZ allowed)"),
      "groupings": s("array", maxItems=16, uniqueItems=True, items=s("string", pattern="^[A-Z][A-Za-z0-9-]{1,15}$")),
      "sectors": s("array", maxItems=40, uniqueItems=True, items=s("string", description="nis2:<sector> or dhs:<sector>")),
      "website": s("string", maxLength=200, description="http(s) URL"),
      "iana_id": s("integer", minimum=1, maximum=99999999, description="IANA Registrar ID (kind registrar only; unique among organisations)")}),
  "Organisation": s("object", properties={
      "id": uuid, "kind": s("string", enum=kinds), "names": s("object", additionalProperties=s("string")),
      "country": s("string"), "groupings": s("array", items=s("string")), "sectors": s("array", items=s("string")),
      "sign_public": s("string", description="Ed25519 public key, base64url"),
      "box_public": s("string", description="X25519 public key, base64url"),
      "fingerprint": s("string", description="hex SHA-256 of the signing key, for out-of-band verification"),
      "home_node": s("string"), "website": s("string"), "iana_id": s("integer", description="IANA Registrar ID (registrars)"),
      "envelope_id": uuid, "created": ts, "updated": ts}),
  "Hours": {"oneOf": [
      s("object", additionalProperties=False, required=["always"], properties={"always": {"const": True}}),
      s("object", additionalProperties=False, required=["days", "start", "end"], properties={
          "days": s("array", minItems=1, maxItems=7, uniqueItems=True, items=s("string", enum=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
          "start": s("string", pattern="^[0-2][0-9]:[0-5][0-9]$"), "end": s("string", pattern="^[0-2][0-9]:[0-5][0-9]$")})]},
  "Channel": s("object", additionalProperties=False, required=["type", "value"], properties={
      "type": s("string", enum=["platform", "email", "phone"]), "value": s("string", minLength=1, maxLength=200)}),
  "PointOfContactInput": s("object", additionalProperties=False,
      required=["role", "function_title", "languages", "timezone", "hours"], properties={
      "role": s("string", enum=["diplomatic", "technical", "law_enforcement"]),
      "function_title": s("string", minLength=1, maxLength=120), "name": s("string", minLength=1, maxLength=200),
      "languages": s("array", minItems=1, maxItems=12, uniqueItems=True, items=lang_tag),
      "timezone": s("string", maxLength=64, description="IANA time zone, e.g. Europe/Paris"),
      "hours": ref("Hours"), "channels": s("array", maxItems=10, items=ref("Channel"))}),
  "PointOfContact": s("object", properties={
      "id": uuid, "org": uuid, "role": s("string"), "function_title": s("string"),
      "languages": s("array", items=s("string")), "timezone": s("string"), "hours": ref("Hours"),
      "erased": s("boolean"), "name": s("string", description="personal data; absent once erased"),
      "channels": s("array", items=ref("Channel")), "envelope_id": uuid, "created": ts, "updated": ts}),
  "AuditItem": s("object", properties={
      "seq": s("integer"), "envelope_id": uuid, "type": s("string"), "action": s("string", enum=["create", "update", "erase"]),
      "author_org": uuid, "actor_user": {"type": ["string", "null"]}, "at": ts,
      "changed": s("array", items=s("string"))}),
  "User": s("object", properties={
      "id": uuid, "org": uuid, "username": s("string"), "display_name": s("string"),
      "role": s("string", enum=["viewer", "analyst", "officer", "admin"]), "operator": s("boolean"),
      "disabled": s("boolean"), "totp_enabled": s("boolean"), "created": ts}),
  "UserInput": s("object", additionalProperties=False, required=["username", "display_name", "password", "role"], properties={
      "username": s("string", pattern="^[a-z0-9][a-z0-9._-]{1,63}$"), "display_name": s("string", minLength=1, maxLength=200),
      "password": s("string", minLength=12, maxLength=1024), "role": s("string", enum=["viewer", "analyst", "officer", "admin"]),
      "operator": s("boolean", description="operators only")}),
  "UserUpdate": s("object", additionalProperties=False, properties={
      "role": s("string", enum=["viewer", "analyst", "officer", "admin"]), "disabled": s("boolean")}),
  "TokenInput": s("object", additionalProperties=False, required=["name", "scopes"], properties={
      "name": s("string", minLength=1, maxLength=100),
      "scopes": s("array", minItems=1, maxItems=3, uniqueItems=True, items=s("string", enum=["read", "write", "admin"])),
      "expires_in_days": s("integer", minimum=1, maximum=365, default=90)}),
  "Token": s("object", properties={
      "id": uuid, "user": uuid, "name": s("string"), "scopes": s("array", items=s("string")),
      "created": ts, "expires": ts, "revoked": {"type": ["string", "null"], "format": "date-time"}}),
  "NewToken": {"allOf": [ref("Token"), s("object", required=["token"], properties={
      "token": s("string", description="ent_...; shown once, never again")})]},
  "LoginInput": s("object", additionalProperties=False, required=["username", "password"], properties={
      "username": s("string", maxLength=64), "password": s("string", maxLength=1024),
      "totp": s("string", pattern="^[0-9]{6}$", description="second-factor code, when the user has one")}),
  "Session": s("object", properties={"user": ref("User"), "csrf": s("string", description="send as X-CSRF-Token")}),
  "Me": s("object", properties={"user": ref("User"), "csrf": s("string"), "must_enrol_totp": s("boolean")}),
  "TotpCode": s("object", additionalProperties=False, required=["code"], properties={"code": s("string", pattern="^[0-9]{6}$")}),
  "TotpEnrolment": s("object", properties={"secret": s("string", description="base32"), "uri": s("string", description="otpauth://totp/...")}),
  "OrgSettings": s("object", additionalProperties=False, required=["require_totp"], properties={"require_totp": s("boolean")}),
  "Node": s("object", properties={"id": s("string", description="hex SHA-256 fingerprint of the node key"),
      "public_key": s("string"), "base_url": s("string"), "version": s("string")}),
  "Health": s("object", properties={"database": s("string"), "schema_version": s("integer"), "journal_size": s("integer"),
      "hosted_orgs": s("integer"), "pool": s("object", properties={"size": s("integer"), "in_use": s("integer")})}),
  "SignedTreeHead": s("object", required=["tree_size", "root_hash", "timestamp", "node_id", "sig"], properties={
      "tree_size": s("integer", minimum=0), "root_hash": s("string", description="hex SHA-256 Merkle tree hash (RFC 9162)"),
      "timestamp": s("integer", description="UTC milliseconds"), "node_id": s("string"),
      "sig": s("string", description="base64url Ed25519 by the node key over the RFC 8785 form of the other members")}),
  "Receipt": s("object", properties={"envelope": s("object", description="the signed envelope"),
      "leaf_index": s("integer"), "proof": s("array", items=s("string"), description="inclusion proof, hex hashes"),
      "sth": ref("SignedTreeHead"), "node_public_key": s("string")}),
  "ConsistencyProof": s("object", properties={"first": s("integer"), "second": s("integer"), "proof": s("array", items=s("string"))}),
  "Reference": s("object", properties={k: s("array") for k in ["countries", "languages", "sectors", "org_kinds", "poc_roles", "user_roles"]}),
}

# ---- communications (src/comms, src/api/routes_comms.cc) --------------------
opt_ts = {"type": ["string", "null"], "format": "date-time"}
urgencies = ["routine", "priority", "urgent"]
states = ["sent", "delivered", "acknowledged", "responded", "closed", "declined", "escalated"]
msg_kinds = ["incident_notification", "request_for_assistance", "request_for_information", "response",
             "consultation", "communication_check", "free_form"]
tlp = s("string", enum=["clear", "green", "amber", "amber+strict", "red"])
pap = s("string", enum=["clear", "green", "amber", "red"])
stats = s("object", properties={"targets": s("integer"), "acknowledged": s("integer"), "in_time": s("integer"),
    "response_rate": s("number", description="acknowledged in time / targets"),
    "median_ms": {"type": ["integer", "null"]}, "p95_ms": {"type": ["integer", "null"], "description": "nearest-rank 95th percentile"}})
schemas.update({
  "MessageFields": s("object", additionalProperties=False, description="The template's fields (see GET /api/v1/comms/templates for which a kind has and requires). Omit absent fields; null is an error.", properties={
      "urgency": s("string", enum=urgencies),
      "classification": s("object", additionalProperties=False, required=["class", "type"], description="RSIT class and one of its types", properties={"class": s("string"), "type": s("string")}),
      "sectors": s("array", maxItems=20, uniqueItems=True, items=s("string", description="nis2:<sector> or dhs:<sector>")),
      "countries": s("array", maxItems=60, uniqueItems=True, items=s("string", pattern="^[A-Z]{2}$")),
      "window": s("object", additionalProperties=False, required=["start"], properties={"start": ts, "end": ts}),
      "summary": s("string", minLength=1, maxLength=300, description="one line"),
      "description": s("string", minLength=1, maxLength=20000),
      "requested_action": s("string", minLength=1, maxLength=5000),
      "annex": s("object", description="a STIX 2.1 bundle {type: bundle, id: bundle--<uuid>, objects: [...]}, at most 10000 objects"),
      "reply_to": s("string", format="uuid", description="a point of contact of the sending organisation")}),
  "MessageInput": s("object", additionalProperties=False, required=["kind", "recipients", "tlp", "language", "fields"], properties={
      "kind": s("string", enum=[k for k in msg_kinds if k != "communication_check"], description="communication checks are started with POST /api/v1/checks"),
      "version": s("integer", minimum=1, description="template version; default the latest"),
      "recipients": s("array", minItems=1, maxItems=500, uniqueItems=True, items=uuid, description="organisations (each must have an encryption key; not your own)"),
      "to_pocs": s("array", maxItems=50, items=uuid, description="points of contact of the recipients the notice is addressed to; default all"),
      "tlp": tlp, "pap": pap, "language": lang_tag,
      "in_reply_to": s("string", format="uuid", description="only for kind response"),
      "fields": ref("MessageFields")}),
  "ResponseInput": s("object", additionalProperties=False, required=["language", "fields"], properties={
      "tlp": tlp, "pap": pap, "language": lang_tag, "version": s("integer", minimum=1), "to_pocs": s("array", items=uuid),
      "fields": ref("MessageFields")}),
  "RecipientStatus": s("object", properties={"org": uuid, "state": s("string", enum=states), "escalated": s("boolean"),
      "ack_due": ts, "response_due": opt_ts, "delivered": opt_ts, "acknowledged": opt_ts, "responded": opt_ts,
      "closed": opt_ts, "declined": opt_ts}),
  "Message": s("object", description="Metadata of a message (the sealed body is not included)", properties={
      "id": uuid, "thread": uuid, "in_reply_to": {"type": ["string", "null"]}, "kind": s("string", enum=msg_kinds),
      "version": s("integer"), "author_org": uuid, "sender_user": {"type": ["string", "null"]},
      "urgency": s("string", enum=urgencies), "tlp": tlp, "pap": {"type": ["string", "null"]},
      "check": s("boolean"), "needs_response": s("boolean"), "created": ts,
      "recipients": s("array", items=ref("RecipientStatus"))}),
  "OpenedMessage": {"allOf": [ref("Message"), s("object", properties={
      "language": s("string", description="language of the free text"), "fields": ref("MessageFields"),
      "to_pocs": s("array", items=uuid)})]},
  "TimelineEvent": s("object", properties={"id": s("string", description="envelope id (receipt: GET /api/v1/log/receipt/{id}); a reply's 'responded' event is <envelope id>/responded"),
      "message": uuid, "org": {"type": ["string", "null"], "description": "recipient concerned"},
      "actor_org": uuid, "actor_user": {"type": ["string", "null"]},
      "action": s("string", enum=["sent", "delivered", "acknowledged", "responded", "closed", "declined", "escalated", "reminded"]),
      "stage": {"type": ["string", "null"], "enum": ["ack", "response", None]}, "at": ts}),
  "Timeline": s("object", properties={"items": s("array", items=ref("TimelineEvent"))}),
  "CloseInput": s("object", additionalProperties=False, properties={"org": s("string", format="uuid", description="the sender closes for one recipient; default all")}),
  "Empty": s("object", additionalProperties=False, description="no members (an empty body is accepted)"),
  "OverdueItem": s("object", properties={"message": uuid, "kind": s("string"), "urgency": s("string"), "author_org": uuid,
      "org": uuid, "stage": s("string", enum=["ack", "response"]), "due": ts}),
  "OverdueList": s("object", properties={"items": s("array", items=ref("OverdueItem"))}),
  "CheckInput": s("object", additionalProperties=False, required=["window_minutes"], properties={
      "orgs": s("array", maxItems=500, items=uuid), "grouping": s("string", maxLength=16, description="every organisation of the grouping"),
      "window_minutes": s("integer", minimum=1, maximum=43200), "summary": s("string", maxLength=300), "language": lang_tag}),
  "CheckStats": stats,
  "CheckReport": s("object", properties={"id": uuid, "author_org": uuid, "started": ts, "deadline": ts,
      "overall": ref("CheckStats"), "by_country": s("object", additionalProperties=ref("CheckStats")),
      "by_grouping": s("object", additionalProperties=ref("CheckStats")),
      "rows": s("array", items=s("object", properties={"org": uuid, "name": s("string"), "country": {"type": ["string", "null"]},
          "groupings": s("array", items=s("string")), "acknowledged": s("boolean"), "in_time": s("boolean"),
          "ack_after_ms": {"type": ["integer", "null"]}}))}),
  "CheckHistory": s("object", properties={"items": s("array", items=s("object", properties={"id": uuid, "author_org": uuid,
      "started": ts, "deadline": ts, "overall": ref("CheckStats")}))}),
  "Templates": s("object", description="message templates with labels in the requested language", properties={
      "language": s("string"), "templates": s("array", items=s("object")), "vocabularies": s("object"), "labels": s("object")}),
  "DeadlinePolicy": s("object", properties={"defaults": s("object"), "node": s("object"), "groupings": s("object")}),
  "DeadlinePolicyInput": s("object", additionalProperties=False, required=["urgency", "ack_minutes", "response_minutes"], properties={
      "grouping": s("string", maxLength=16, description="omit for the node default"), "urgency": s("string", enum=urgencies),
      "ack_minutes": s("integer", minimum=1), "response_minutes": s("integer", minimum=1)}),
  "Webhook": s("object", properties={"url": {"type": ["string", "null"]}}),
  "WebhookInput": s("object", additionalProperties=False, required=["url"], properties={"url": s("string", maxLength=2000, description="http(s) URL")}),
  "WebhookCreated": s("object", properties={"url": s("string"), "secret": s("string", description="HMAC-SHA256 signing secret, shown once")}),
  "PeerInput": s("object", additionalProperties=False, required=["url", "fingerprint"], properties={
      "url": s("string", maxLength=512, description="the peer's base URL (http or https)"),
      "fingerprint": s("string", maxLength=128, description="the peer's node fingerprint (64 hex digits, colons and case ignored), obtained out of band"),
      "relay": s("boolean", description="a relay link: the peer is this node's hub or this node is its hub (default false)")}),
  "Peer": s("object", properties={
      "node_id": s("string"), "fingerprint": s("string"), "base_url": s("string"),
      "public_key": s("string", description="pinned Ed25519 node key, base64url"),
      "state": s("string", enum=["active", "suspended", "removed"]),
      "cursor": s("integer", description="last sequence number of the peer's feed applied here"),
      "relay_cursor": s("integer", description="last sequence number of the peer's relayed envelopes received here"),
      "relay": s("boolean", description="a relay link: relay offers are made to and accepted from this peer"),
      "relay_acked": s("integer", description="highest relay cursor the peer asked this node with (it holds every relayed envelope up to it)"),
      "introduction": s("string", description="after POST only: how this node's introduction to the peer went (pending, accepted, failed: ...)"),
      "received": s("integer"), "applied": s("integer"),
      "rejected": s("object", additionalProperties=s("integer"), description="reason -> count (malformed, forged, altered, origin, out_of_policy, replayed, invalid, home_claim, relay_refused, request_signature, request_replayed, ...)"),
      "failures": s("integer", description="consecutive failed pulls"), "last_error": s("string"),
      "last_success": {"type": ["string", "null"], "format": "date-time"},
      "next_retry": {"type": ["string", "null"], "format": "date-time"}, "created": ts, "updated": ts}),
  "PeerList": s("object", properties={"items": s("array", items=ref("Peer"))}),
  "FederationSelf": s("object", properties={"node_id": s("string"), "fingerprint": s("string"), "public_key": s("string"), "base_url": s("string"), "name": s("string")}),
  "PullResult": s("object", properties={"received": s("integer"), "applied": s("integer"), "rejected": s("integer"), "pending": s("integer"), "more": s("boolean"), "cursor": s("integer")}),
  "FederationAlert": s("object", properties={"id": s("string"), "log_node": s("string"), "kind": s("string", enum=["inconsistent_history", "bad_head"]), "detail": s("string"), "evidence": s("object"), "created": ts}),
  "FederationAlertList": s("object", properties={"items": s("array", items=ref("FederationAlert"))}),
  "FeedPage": s("object", required=["node", "after", "next", "more", "entries"], properties={
      "node": s("string"), "after": s("integer"), "next": s("integer", description="cursor for the next request (the last sequence number examined)"),
      "more": s("boolean"), "entries": s("array", maxItems=2000, items=s("object", properties={"seq": s("integer"), "envelope": s("object", description="a signed envelope, as recorded")})),
      "sth": {"type": ["object", "null"], "description": "the serving node's latest signed tree head"},
      "heads": s("array", maxItems=64, items=s("object"), description="signed tree heads of other nodes seen by the serving node (gossip)"),
      "relay": s("array", maxItems=2000, items=s("object", properties={"seq": s("integer"), "envelope": s("object")}), description="envelopes the serving node carries for others (sealed communications), after relay_after"),
      "relay_next": s("integer", description="cursor for the next request's relay_after")}),
  "ConsistencyAnswer": s("object", properties={"first": s("integer"), "second": s("integer"), "proof": s("array", items=s("string"))}),
})

def page(item):
    return s("object", properties={"items": s("array", items=ref(item)), "next": {"type": ["string", "null"], "description": "cursor for the next page"}})

q = lambda name, desc, **kw: {"name": name, "in": "query", "required": False, "description": desc, "schema": s("string", **kw)}
limit = {"name": "limit", "in": "query", "required": False, "description": "page size", "schema": s("integer", minimum=1, maximum=200, default=50)}
cursor = q("cursor", "the `next` value of the previous page", maxLength=88)
pid = {"name": "id", "in": "path", "required": True, "schema": s("string")}
pfile = {"name": "file", "in": "path", "required": True, "schema": s("string")}

# (method, path, permission, summary, params, request schema, (status, response schema or None, content type))
R = [
 ("get", "/", "public", "The web console (index.html)", [], None, (200, None, "text/html")),
 ("get", "/assets/{file}", "public", "Web console asset (immutable, hashed name)", [pfile], None, (200, None, "application/octet-stream")),
 ("get", "/healthz", "public", "Liveness: 200 when the database answers", [], None, (200, s("object"), None)),
 ("get", "/metrics", "public", "Prometheus metrics (text format 0.0.4)", [], None, (200, None, "text/plain")),
 ("get", "/api/v1/openapi.json", "public", "This document", [], None, (200, s("object"), None)),
 ("get", "/api/v1/node", "public", "Node identity: id (key fingerprint), public key, base URL", [], None, (200, ref("Node"), None)),
 ("get", "/api/v1/node/health", "node.admin", "Node health: database, schema version, journal size, hosted organisations, pool", [], None, (200, ref("Health"), None)),
 ("post", "/api/v1/node/rebuild", "node.admin", "Rebuild every projection from the journal, verifying every signature", [], None, (200, s("object"), None)),
 ("get", "/api/v1/reference", "public", "Code lists: countries, languages, sectors, kinds, roles", [], None, (200, ref("Reference"), None)),
 ("post", "/api/v1/auth/login", "public", "Sign in; sets the session cookie and returns the CSRF token", [], "LoginInput", (200, ref("Session"), None)),
 ("post", "/api/v1/auth/logout", "authenticated", "Sign out (ends the session)", [], None, (200, s("object"), None)),
 ("get", "/api/v1/auth/me", "authenticated", "The signed-in user, the CSRF token, and whether a second factor must be enrolled", [], None, (200, ref("Me"), None)),
 ("post", "/api/v1/auth/totp/setup", "account.security", "Start second-factor enrolment (browser sessions only)", [], None, (200, ref("TotpEnrolment"), None)),
 ("post", "/api/v1/auth/totp/enable", "account.security", "Activate the second factor with a valid code", [], "TotpCode", (200, s("object"), None)),
 ("post", "/api/v1/auth/totp/disable", "account.security", "Remove the second factor (refused while the organisation requires one)", [], "TotpCode", (200, s("object"), None)),
 ("get", "/api/v1/orgs/{id}/settings", "org.admin", "Organisation settings on this node", [pid], None, (200, ref("OrgSettings"), None)),
 ("put", "/api/v1/orgs/{id}/settings", "org.admin", "Change organisation settings (require a second factor)", [pid], "OrgSettings", (200, ref("OrgSettings"), None)),
 ("get", "/api/v1/orgs/{id}/users", "org.admin", "Users of an organisation", [pid], None, (200, page("User"), None)),
 ("post", "/api/v1/orgs/{id}/users", "org.admin", "Create a user in an organisation hosted on this node", [pid], "UserInput", (201, ref("User"), None)),
 ("put", "/api/v1/users/{id}", "org.admin", "Change a user's role or disable the account", [pid], "UserUpdate", (200, ref("User"), None)),
 ("get", "/api/v1/tokens", "authenticated", "Your API tokens (never their secrets)", [], None, (200, page("Token"), None)),
 ("post", "/api/v1/tokens", "token.manage", "Create an API token; the token is in this response only", [], "TokenInput", (201, ref("NewToken"), None)),
 ("delete", "/api/v1/tokens/{id}", "token.manage", "Revoke a token (yours, or of a user of an organisation you administer)", [pid], None, (200, s("object"), None)),
 ("get", "/api/v1/orgs", "directory.read", "Search organisations", [q("q", "full text over names", maxLength=256), q("country", "ISO 3166-1 alpha-2"), q("grouping", "e.g. EU, ASEAN"), q("kind", "organisation kind", enum=kinds), q("sector", "nis2:… or dhs:…"), {"name": "iana_id", "in": "query", "required": False, "description": "registrars with this IANA Registrar ID", "schema": s("integer", minimum=1, maximum=99999999)}, limit, cursor], None, (200, page("Organisation"), None)),
 ("post", "/api/v1/orgs", "org.create", "Create an organisation hosted on this node (keys are generated here)", [], "OrganisationInput", (201, ref("Organisation"), None)),
 ("get", "/api/v1/orgs/{id}", "directory.read", "One organisation, with its public keys and fingerprint", [pid], None, (200, ref("Organisation"), None)),
 ("put", "/api/v1/orgs/{id}", "org.write", "Replace the editable fields of an organisation (kind cannot change)", [pid], "OrganisationInput", (200, ref("Organisation"), None)),
 ("get", "/api/v1/orgs/{id}/audit", "directory.read", "Audit trail of an organisation, newest first, read from the signed journal", [pid, limit, cursor], None, (200, page("AuditItem"), None)),
 ("get", "/api/v1/orgs/{id}/pocs", "directory.read", "Points of contact of an organisation", [pid, limit, cursor], None, (200, page("PointOfContact"), None)),
 ("post", "/api/v1/orgs/{id}/pocs", "poc.write", "Create a point of contact", [pid], "PointOfContactInput", (201, ref("PointOfContact"), None)),
 ("get", "/api/v1/pocs", "directory.read", "Search points of contact", [q("q", "full text over name and function", maxLength=256), q("org", "organisation id"), q("country", "ISO 3166-1 alpha-2 of the organisation"), q("role", "diplomatic, technical or law_enforcement", enum=["diplomatic", "technical", "law_enforcement"]), q("language", "BCP 47 tag; en also matches en-GB"), limit, cursor], None, (200, page("PointOfContact"), None)),
 ("get", "/api/v1/pocs/{id}", "directory.read", "One point of contact", [pid], None, (200, ref("PointOfContact"), None)),
 ("put", "/api/v1/pocs/{id}", "poc.write", "Replace a point of contact", [pid], "PointOfContactInput", (200, ref("PointOfContact"), None)),
 ("get", "/api/v1/pocs/{id}/audit", "directory.read", "Audit trail of a point of contact (field names only, never personal data)", [pid, limit, cursor], None, (200, page("AuditItem"), None)),
 ("get", "/api/v1/pocs/{id}/export", "poc.write", "Everything stored about the person, with its change history (data-subject request)", [pid], None, (200, s("object"), None)),
 ("post", "/api/v1/pocs/{id}/erase", "poc.write", "Erase the person's data (crypto-shredding); a tombstone stays in the journal", [pid], None, (200, ref("PointOfContact"), None)),
 ("get", "/api/v1/comms/templates", "authenticated", "Message templates with every label in one of the six languages", [q("lang", "ar, zh, en, fr, ru or es (others fall back to en)")], None, (200, ref("Templates"), None)),
 ("get", "/api/v1/comms/policy", "authenticated", "Acknowledgement and response deadlines by urgency: defaults, node and per-grouping policy", [], None, (200, ref("DeadlinePolicy"), None)),
 ("put", "/api/v1/comms/policy", "node.admin", "Set the deadlines of an urgency for the node or a grouping", [], "DeadlinePolicyInput", (200, ref("DeadlinePolicy"), None)),
 ("get", "/api/v1/messages", "message.read", "Messages received (inbox) or sent by your organisation, newest first", [q("box", "inbox (default) or sent", enum=["inbox", "sent"]), q("state", "a recipient state", enum=states), q("kind", "message kind", enum=msg_kinds), q("check", "only communication checks", enum=["true", "false"]), limit, cursor], None, (200, page("Message"), None)),
 ("post", "/api/v1/messages", "message.write", "Write, seal for the recipients, sign and send a message; refused before anything is stored when a recipient has no encryption key", [], "MessageInput", (201, ref("Message"), None)),
 ("get", "/api/v1/messages/{id}", "message.read", "Open a message (for users of the sender or a recipient organisation; others get 404)", [pid], None, (200, ref("OpenedMessage"), None)),
 ("get", "/api/v1/messages/{id}/timeline", "message.read", "Every signed event of the message's thread, oldest first", [pid], None, (200, ref("Timeline"), None)),
 ("post", "/api/v1/messages/{id}/ack", "message.write", "Acknowledge receipt (a recipient; a signed event)", [pid], "Empty", (200, ref("Message"), None)),
 ("post", "/api/v1/messages/{id}/decline", "message.write", "Decline the request (a recipient; a signed event)", [pid], "Empty", (200, ref("Message"), None)),
 ("post", "/api/v1/messages/{id}/close", "message.write", "Close the exchange (the sender for one or all recipients, or a recipient for itself)", [pid], "CloseInput", (200, ref("Message"), None)),
 ("post", "/api/v1/messages/{id}/respond", "message.write", "Respond: a sealed message of kind response to the other party, marking the message responded", [pid], "ResponseInput", (201, ref("Message"), None)),
 ("get", "/api/v1/events", "message.read", "Server-sent events (text/event-stream): one `message` event per timeline event of your organisation's messages ({message, org, action, stage, actor_org, at}), resumable with Last-Event-ID; a stream lasts at most `timeout` seconds (default and maximum 25), at most 4 streams per process (503: poll instead)", [{"name": "timeout", "in": "query", "required": False, "schema": s("integer", minimum=0, maximum=25, default=25)}, {"name": "Last-Event-ID", "in": "header", "required": False, "schema": s("string")}], None, (200, s("string"), "text/event-stream")),
 ("get", "/api/v1/overdue", "message.read", "Late acknowledgements and responses of messages your organisation sent or received (scope=node: every organisation, operators only)", [q("scope", "org (default) or node", enum=["org", "node"])], None, (200, ref("OverdueList"), None)),
 ("post", "/api/v1/checks", "check.manage", "Start a communication check: a message every target organisation must acknowledge within the window", [], "CheckInput", (201, ref("Message"), None)),
 ("get", "/api/v1/checks", "message.read", "Communication checks your organisation started, newest first, with their results", [limit], None, (200, ref("CheckHistory"), None)),
 ("get", "/api/v1/checks/{id}", "message.read", "Report of a check: response rate, median and 95th-percentile time to acknowledge, overall, per country and per grouping; format=csv for a CSV file", [pid, q("format", "json (default) or csv", enum=["json", "csv"])], None, (200, ref("CheckReport"), None)),
 ("get", "/api/v1/orgs/{id}/webhook", "org.admin", "The organisation's webhook URL (never its secret)", [pid], None, (200, ref("Webhook"), None)),
 ("put", "/api/v1/orgs/{id}/webhook", "org.admin", "Set the webhook URL; returns a new signing secret, shown once", [pid], "WebhookInput", (200, ref("WebhookCreated"), None)),
 ("delete", "/api/v1/orgs/{id}/webhook", "org.admin", "Remove the webhook", [pid], None, (204, None, None)),
 ("get", "/federation/v1/feed", "public", "Node to node: the journal's signed envelopes after `after`, filtered for the calling peer by distribution and TLP. The request must carry Entente-Node, Entente-Date, Entente-Nonce, Entente-Digest and Entente-Signature headers signed by an ACTIVE peer's pinned node key (401 otherwise); no user credentials", [{"name": "after", "in": "query", "required": False, "schema": s("integer", minimum=0, default=0)}, {"name": "limit", "in": "query", "required": False, "schema": s("integer", minimum=1, maximum=2000, default=500)}, {"name": "relay_after", "in": "query", "required": False, "description": "cursor in the envelopes this node relays (the page's relay_next)", "schema": s("integer", minimum=0, default=0)}], None, (200, ref("FeedPage"), None)),
 ("get", "/federation/v1/consistency", "public", "Node to node: consistency proof between two sizes of this node's log (gossip checks). Signed by an active peer as for the feed", [{"name": "first", "in": "query", "required": True, "schema": s("integer", minimum=1)}, {"name": "second", "in": "query", "required": True, "schema": s("integer", minimum=1)}], None, (200, ref("ConsistencyAnswer"), None)),
 ("get", "/api/v1/federation/self", "node.admin", "This node's identity for peering: id, fingerprint (give it to peers out of band), public key, base URL", [], None, (200, ref("FederationSelf"), None)),
 ("get", "/api/v1/federation/peers", "node.admin", "Peers with their state, cursors and counters of rejected envelopes and requests by reason", [], None, (200, ref("PeerList"), None)),
 ("post", "/api/v1/federation/peers", "node.admin", "Peer with a node: fetches its identity and pins its key if the fingerprint matches (403 with the real fingerprint otherwise)", [], "PeerInput", (201, ref("Peer"), None)),
 ("get", "/api/v1/federation/peers/{id}", "node.admin", "One peer", [pid], None, (200, ref("Peer"), None)),
 ("post", "/api/v1/federation/peers/{id}/suspend", "node.admin", "Suspend a peer: its requests are refused and it is not pulled from", [pid], None, (200, ref("Peer"), None)),
 ("post", "/api/v1/federation/peers/{id}/resume", "node.admin", "Make a suspended or removed peer active again", [pid], None, (200, ref("Peer"), None)),
 ("delete", "/api/v1/federation/peers/{id}", "node.admin", "Remove a peer: it gets nothing new (the pinned key is kept so that re-adding needs the same key)", [pid], None, (200, ref("Peer"), None)),
 ("post", "/api/v1/federation/peers/{id}/sync", "node.admin", "Pull from the peer now, until it has nothing more (at most 100 pages)", [pid], None, (200, ref("PullResult"), None)),
 ("get", "/api/v1/federation/alerts", "node.admin", "Transparency gossip alerts: nodes seen with inconsistent histories, with both signed heads as evidence", [], None, (200, ref("FederationAlertList"), None)),
]


# Routes of the later areas (intel, TAXII, matching, DNS abuse, ...) are
# described in scripts/openapi/<area>.py, one file per area, run here in
# name order with this script's globals: each extends R and `schemas`.
import glob
for _area in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi", "*.py"))):
    exec(compile(open(_area).read(), _area, "exec"), globals())


def problem(desc):
    return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}

paths = {}
existing = {}
path_file = os.path.join(os.path.dirname(__file__), "..", "src", "api", "openapi.json")
try:
    existing = json.load(open(path_file))
except Exception:
    pass
for method, path, perm, summary, params, body, (status, schema, ctype) in R:
    op = {"operationId": (method + path.replace("/api/v1", "").replace("/", "_").replace("{", "").replace("}", "")).strip("_") or "get_root",
          "summary": summary, "description": f"{summary}. Permission: `{perm}`.", "x-entente-permission": perm,
          "parameters": params}
    if perm == "public":
        op["security"] = []
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    content = {(ctype or "application/json"): ({"schema": schema} if schema else {})}
    op["responses"] = {str(status): {"description": "OK", "content": content}}
    if status == 204:
        op["responses"] = {"204": {"description": "No content"}}
    if path == "/api/v1/checks/{id}":
        content["text/csv"] = {"schema": s("string")}
    if path == "/api/v1/dns/months/{month}/report":
        content["text/csv"] = {"schema": s("string")}
        content["text/html"] = {"schema": s("string")}
    if body or params:
        op["responses"]["400"] = problem("malformed request (body not JSON, too deep, invalid UTF-8, duplicate keys)")
        op["responses"]["422"] = problem("a field is invalid; `field` names it")
    if path.startswith("/federation/"):
        op["security"] = []
        op["responses"]["401"] = problem("not signed by an active peer, signature or digest wrong, date outside the window, or the request is a replay")
    if perm != "public":
        op["responses"]["401"] = problem("not signed in, or the token is invalid, expired or revoked")
        op["responses"]["403"] = problem("your role or token scope does not allow this, or the CSRF token is missing")
    if "{id}" in path or "{file}" in path or "{day}" in path or "{month}" in path:
        op["responses"]["404"] = problem("no such resource")
    if path.startswith("/api/v1/messages") and method == "post":
        op["responses"]["409"] = problem("the transition is not allowed in the current state (e.g. already acknowledged), or a recipient has no encryption key")
    elif method in ("post", "put", "delete") and perm != "public":
        op["responses"]["409"] = problem("conflict with the current state")
    if path == "/api/v1/auth/login":
        op["responses"]["401"] = problem("wrong user name or password, or a second-factor code is needed (`field` = totp)")
        op["responses"]["429"] = problem("too many failed sign-ins")
    for _hook in globals().get("OP_HOOKS", []):  # area files adjust their operations
        _hook(path, method, op)
    paths.setdefault(path, {})[method] = op

# Keep paths documented by hand in openapi.json (the transparency log
# routes of routes_log.cc are described there in full).
for p, item in existing.get("paths", {}).items():
    for m, op in item.items():
        if p not in paths or m not in paths[p]:
            paths.setdefault(p, {})[m] = op
for n, sch in existing.get("components", {}).get("schemas", {}).items():
    if n in ("SignedTreeHead", "Receipt", "ConsistencyProof"):
        schemas[n] = sch  # documented by hand with the log routes
    schemas.setdefault(n, sch)

doc = {
  "openapi": "3.1.0",
  "info": {"title": "Entente node API", "version": "0.1.0",
           "description": "The HTTP API of an Entente node. Errors are RFC 9457 problem details. Lists are paginated with an opaque `cursor` (the `next` of the previous page). State-changing requests made with the session cookie must carry the `X-CSRF-Token` header returned at sign-in."},
  "servers": [{"url": "/"}],
  "security": [{"bearerAuth": []}, {"sessionCookie": []}],
  "paths": dict(sorted(paths.items())),
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API token (ent_...), scoped read/write/admin"},
      "basicToken": {"type": "http", "scheme": "basic", "description": "TAXII routes only: HTTP Basic with an API token as the password (any user name)"},
      "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "entente_session",
                        "description": "browser session; send X-CSRF-Token on POST, PUT, PATCH and DELETE"}},
    "schemas": dict(sorted(schemas.items()))},
}
with open(path_file, "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"{sum(len(v) for v in paths.values())} operations")
