#!/usr/bin/env python3
"""A TAXII 2.1 client written against the OASIS specification ("TAXII
Version 2.1", OASIS Standard, 10 June 2021), not against Entente's code: it
knows only the discovery URL /taxii2/, the resources and rules of the
specification (section numbers in the comments) and the credentials it is
given. Run by taxii_client_test.sh, which starts a real `entente serve` and
makes the organisations, users, tokens and the community of trust.

Environment: TAXII_BASE (http://127.0.0.1:PORT), TOKEN_A, TOKEN_A2 (a second
analyst of A), TOKEN_B (member B), TOKEN_C (outsider C), TOKEN_VIEWER (a
viewer of A), TOKEN_READONLY (A's analyst with a read-only token),
COMMUNITY_ID, ORG_A, STIX_EXAMPLES (directory of official example bundles).

Python 3 standard library only. Exits non-zero on the first failed check.
"""
import base64
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

BASE = os.environ["TAXII_BASE"]
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
CHECKS = 0


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)


def request(method, url, token=None, accept=TAXII, body=None, content_type=None,
            basic=None, headers=None):
    """One HTTP request; `url` is absolute or relative to BASE."""
    if url.startswith("/"):
        url = BASE + url
    h = {"User-Agent": "entente-spec-client/1.0"}
    if accept is not None:
        h["Accept"] = accept
    if token:
        h["Authorization"] = "Bearer " + token
    if basic:
        h["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    if content_type:
        h["Content-Type"] = content_type
    if headers:
        h.update(headers)
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return Response(r.status, r.headers, r.read().decode())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read().decode())


def media_type_is_taxii(resp):
    ct = (resp.header("Content-Type") or "").replace(" ", "").lower()
    return ct == TAXII


def check_error(resp, status, what):
    """Section 3.6.1: an error message with a title; http_status, if given,
    is a string equal to the HTTP status."""
    check(resp.status == status, f"{what}: HTTP {status} expected, got {resp.status} {resp.body}")
    check(media_type_is_taxii(resp), f"{what}: error Content-Type is {resp.header('Content-Type')}")
    err = resp.json()
    check(isinstance(err.get("title"), str) and err["title"], f"{what}: error without title")
    if "http_status" in err:
        check(err["http_status"] == str(status), f"{what}: http_status {err['http_status']!r}")
    if "description" in err:
        check(isinstance(err["description"], str), f"{what}: description not a string")


def is_timestamp(s):
    """Section 2: YYYY-MM-DDTHH:MM:SS.ssssssZ, microsecond precision, UTC."""
    import re
    return isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", s)


def ts_key(s):
    """A STIX/TAXII timestamp as a sortable tuple (fraction padded)."""
    main, _, frac = s.rstrip("Z").partition(".")
    return (main, (frac + "000000000")[:9])


# ---------------------------------------------------------------------------
TOKEN_A = os.environ["TOKEN_A"]
TOKEN_A2 = os.environ["TOKEN_A2"]
TOKEN_B = os.environ["TOKEN_B"]
TOKEN_C = os.environ["TOKEN_C"]
TOKEN_VIEWER = os.environ["TOKEN_VIEWER"]
TOKEN_READONLY = os.environ["TOKEN_READONLY"]
COMMUNITY = os.environ["COMMUNITY_ID"]
ORG_A = os.environ["ORG_A"]
EXAMPLES = os.environ["STIX_EXAMPLES"]

# ---- 4.1 Server Discovery -------------------------------------------------
r = request("GET", "/taxii2/", TOKEN_A)
check(r.status == 200, f"4.1 discovery: {r.status} {r.body}")
check(media_type_is_taxii(r), "4.1 discovery Content-Type")
disc = r.json()
check(isinstance(disc.get("title"), str), "4.1.1 discovery title is required")
check(isinstance(disc.get("api_roots"), list) and disc["api_roots"], "4.1.1 api_roots")
for root in disc["api_roots"]:
    # 4.1.1: HTTPS absolute URLs or relative URLs beginning with a single "/".
    check(root.startswith("https://") or (root.startswith("/") and not root.startswith("//")),
          f"4.1.1 api root URL form: {root}")
    check("?" not in root, "4.1.1 no query component")
if "default" in disc:
    check(disc["default"] in disc["api_roots"], "4.1.1 default is one of api_roots")
API_ROOT = disc.get("default", disc["api_roots"][0])
if API_ROOT.startswith("/"):
    API_ROOT = BASE + API_ROOT
check(API_ROOT.endswith("/"), "3.1 endpoint paths end in /")

# ---- 1.6.9 Authentication: HTTP Basic with the token as password ---------
r = request("GET", "/taxii2/", basic="anyone:" + TOKEN_A)
check(r.status == 200, f"1.6.9 HTTP Basic: {r.status} {r.body}")
r = request("GET", "/taxii2/", basic="anyone:wrong-token")
check_error(r, 401, "1.6.9 HTTP Basic with a wrong password")
check(r.header("WWW-Authenticate") is not None, "1.6.9 401 carries WWW-Authenticate")
r = request("GET", "/taxii2/")
check_error(r, 401, "1.6.9 no credentials")
check(r.header("WWW-Authenticate") is not None, "1.6.9 401 carries WWW-Authenticate")

# ---- 4.2 API Root ----------------------------------------------------------
r = request("GET", API_ROOT, TOKEN_A)
check(r.status == 200 and media_type_is_taxii(r), f"4.2 api root: {r.status}")
root = r.json()
check(isinstance(root.get("title"), str), "4.2.1 title")
check(TAXII in root.get("versions", []), "4.2.1 versions includes taxii 2.1")
check(isinstance(root.get("max_content_length"), int) and root["max_content_length"] > 0,
      "4.2.1 max_content_length positive integer")
MAX_LEN = root["max_content_length"]

# ---- 3.1 / 1.6.8 Content negotiation: 406 -----------------------------------
r = request("GET", API_ROOT, TOKEN_A, accept="text/html")
check_error(r, 406, "3.1 Accept text/html")
r = request("GET", API_ROOT, TOKEN_A, accept="application/taxii+json;version=2.0")
check_error(r, 406, "1.6.8.2 Accept version 2.0")
r = request("GET", API_ROOT, TOKEN_A, accept="application/taxii+json")
check(r.status == 200, "1.6.8.2 Accept without version means the latest")

# ---- 5.1 Get Collections ---------------------------------------------------
def collections(token):
    r = request("GET", API_ROOT + "collections/", token)
    check(r.status == 200 and media_type_is_taxii(r), f"5.1 collections: {r.status} {r.body}")
    body = r.json()
    cols = body.get("collections", [])
    if "collections" in body:
        check(len(cols) > 0, "2 (list): empty lists are prohibited, the key is omitted")
    for c in cols:
        for k in ("id", "title", "can_read", "can_write"):
            check(k in c, f"5.2.1 collection property {k} is required")
        check(isinstance(c["can_read"], bool) and isinstance(c["can_write"], bool), "5.2.1 booleans")
    return cols


cols_a = collections(TOKEN_A)
ids_a = [c["id"] for c in cols_a]
check(COMMUNITY in ids_a, "5.1 A sees the community's collection")
cols_b = collections(TOKEN_B)
check(COMMUNITY in [c["id"] for c in cols_b], "5.1 B sees the community's collection")
cols_c = collections(TOKEN_C)
check(COMMUNITY not in [c["id"] for c in cols_c], "5.1 the outsider C does not see it")
check(ORG_A not in [c["id"] for c in cols_c], "5.1 C does not see A's private collection")
check(collections(TOKEN_A) == cols_a, "3.3 collections in a consistent order")
comm = next(c for c in cols_a if c["id"] == COMMUNITY)
check(comm["can_read"] and comm["can_write"], "5.2.1 an analyst of A reads and writes")
if "media_types" in comm:
    check(STIX in comm["media_types"], "5.2.1 media_types lists STIX 2.1")
ro = next(c for c in collections(TOKEN_READONLY) if c["id"] == COMMUNITY)
check(ro["can_read"] and not ro["can_write"], "5.2.1 a read-only token cannot write")

COL = API_ROOT + f"collections/{COMMUNITY}/"

# ---- 5.2 Get a Collection --------------------------------------------------
r = request("GET", COL, TOKEN_B)
check(r.status == 200 and r.json()["id"] == COMMUNITY, f"5.2 get a collection: {r.body}")
check_error(request("GET", COL, TOKEN_C), 404, "5.2 the outsider gets 404 for the collection")
check_error(request("GET", API_ROOT + f"collections/{uuid.uuid4()}/", TOKEN_A), 404,
            "5.2 unknown collection")

# ---- 5.5 Add Objects (A posts a bundle, B reads it) -------------------------
def indicator(n, modified="2024-01-01T00:00:00.000Z", created="2024-01-01T00:00:00.000Z",
              ident=None, tlp_green=True):
    o = {
        "type": "indicator", "spec_version": "2.1",
        "id": ident or f"indicator--{uuid.uuid4()}",
        "created": created, "modified": modified,
        "name": f"test indicator {n}",
        "pattern": f"[domain-name:value = 'host{n}.example.org']",
        "pattern_type": "stix", "valid_from": created,
    }
    if tlp_green:
        o["object_marking_refs"] = ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    return o


def add(token, objects, col=COL, content_type=TAXII):
    body = json.dumps({"objects": objects})
    return request("POST", col + "objects/", token, body=body, content_type=content_type)


def add_ok(token, objects, col=COL):
    r = add(token, objects, col)
    check(r.status == 202 and media_type_is_taxii(r), f"5.5 add objects: {r.status} {r.body}")
    st = r.json()
    # 4.3.1: required properties.
    for k in ("id", "status", "total_count", "success_count", "failure_count", "pending_count"):
        check(k in st, f"4.3.1 status property {k} is required")
    check(st["status"] in ("complete", "pending"), "4.3.1 status value")
    # Poll until complete (5.5: SHOULD poll the status endpoint while pending).
    polls = 0
    while st["status"] == "pending":
        polls += 1
        check(polls < 1000, "4.3 status never completes")
        st = request("GET", API_ROOT + f"status/{st['id']}/", token).json()
    return st


bundle_objects = [indicator(i) for i in range(3)]
st = add_ok(TOKEN_A, bundle_objects)
check(st["total_count"] == 3 and st["success_count"] == 3 and st["failure_count"] == 0,
      f"5.5 three objects added: {st}")
check({s["id"] for s in st["successes"]} == {o["id"] for o in bundle_objects}, "4.3.1 successes")
for s in st["successes"]:
    check("version" in s, "4.3.1 status-details has a version")
# 4.3 Get Status: the same resource, to the organisation that posted.
r = request("GET", API_ROOT + f"status/{st['id']}/", TOKEN_A)
check(r.status == 200 and r.json()["id"] == st["id"], f"4.3 get status: {r.status} {r.body}")
check(r.json()["success_count"] == 3, "4.3 status counts")
check_error(request("GET", API_ROOT + f"status/{st['id']}/", TOKEN_C), 404,
            "4.3 another organisation's status is not found")
check_error(request("GET", API_ROOT + f"status/{uuid.uuid4()}/", TOKEN_A), 404, "4.3 unknown status")

# 5.5: an exact duplicate is not an error.
st = add_ok(TOKEN_A, bundle_objects[:1])
check(st["success_count"] == 1 and st["failure_count"] == 0, f"5.5 duplicate is no error: {st}")

# Partial acceptance: one valid, one invalid pattern, one unknown type.
bad = indicator(99)
bad["pattern"] = "[domain-name:value = ]"
weird = {"type": "no-such-type", "id": f"no-such-type--{uuid.uuid4()}", "spec_version": "2.1"}
good = indicator(100)
st = add_ok(TOKEN_A, [good, bad, weird])
check(st["total_count"] == 3 and st["success_count"] == 1 and st["failure_count"] == 2,
      f"4.3.1 partial acceptance counts: {st}")
failed_ids = {f["id"]: f.get("message", "") for f in st["failures"]}
check(bad["id"] in failed_ids and "pattern" in failed_ids[bad["id"]],
      f"4.3.1 failure names the reason: {failed_ids}")
check(weird["id"] in failed_ids, "4.3.1 unknown type listed as a failure")

# 415, 422, 403 on POST.
check_error(add(TOKEN_A, [indicator(1)], content_type="application/json"), 415,
            "5.5 Content-Type application/json")
check_error(add(TOKEN_A, [indicator(1)], content_type="application/stix+json;version=2.1"), 415,
            "5.5 Content-Type stix+json (TAXII 2.1 posts envelopes)")
r = request("POST", COL + "objects/", TOKEN_A, body="{not json", content_type=TAXII)
check(r.status in (400, 422), f"5.5 malformed body: {r.status}")
check_error(request("POST", COL + "objects/", TOKEN_A, body='{"objects": []}', content_type=TAXII),
            422, "2 (list) an empty objects list")
check_error(add(TOKEN_READONLY, [indicator(2)]), 403, "5.5 read-only token cannot add")
check_error(add(TOKEN_VIEWER, [indicator(2)]), 403, "5.5 a viewer cannot add")
r = add(TOKEN_C, [indicator(2)])
check(r.status == 404, f"5.5 the outsider cannot add (404): {r.status}")
r = request("POST", COL + "objects/", TOKEN_A, body="x" * (MAX_LEN + 1), content_type=TAXII)
check(r.status == 413, f"4.2.1 a body over max_content_length is 413: {r.status}")

# ---- 5.4 Get Objects ---------------------------------------------------------
def get_objects(token, params=None, col=COL, accept=TAXII):
    q = "?" + urllib.parse.urlencode(params or {}, safe=",:[]") if params else ""
    return request("GET", col + "objects/" + q, token, accept=accept)


r = get_objects(TOKEN_B)
check(r.status == 200 and media_type_is_taxii(r), f"5.4 B gets objects: {r.status} {r.body}")
env = r.json()
seen_by_b = {o["id"] for o in env.get("objects", [])}
for o in bundle_objects + [good]:
    check(o["id"] in seen_by_b, "done-means: B reads what A posted through TAXII")
check(bad["id"] not in seen_by_b and weird["id"] not in seen_by_b, "rejected objects are not stored")
check(r.header("X-TAXII-Date-Added-First") and r.header("X-TAXII-Date-Added-Last"),
      "3.2 X-TAXII-Date-Added-First/Last on 5.4")
check(is_timestamp(r.header("X-TAXII-Date-Added-First")), "2 timestamp microsecond precision")
check(r.header("X-TAXII-Date-Added-First") <= r.header("X-TAXII-Date-Added-Last"), "3.3 sorting")
b_copy = next(o for o in env["objects"] if o["id"] == bundle_objects[0]["id"])
check(b_copy == bundle_objects[0], "the object B reads is the object A posted, property for property")
check_error(get_objects(TOKEN_C), 404, "5.4 the outsider gets 404")
check_error(get_objects(TOKEN_VIEWER), 403, "5.4 a viewer (no intel.read) gets 403")
check_error(get_objects(TOKEN_B, accept="application/xml"), 406, "5.4 406")
r = get_objects(TOKEN_B, accept=STIX)
check(r.status == 200, f"5.4 Accept {STIX} is served: {r.status}")

# The official example bundle (STIX 2.1 examples) through TAXII.
example_files = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".json"))
ex_objects = []
for name in example_files:
    doc = json.load(open(os.path.join(EXAMPLES, name)))
    if doc.get("type") != "bundle":
        continue
    st = add_ok(TOKEN_A, doc["objects"])
    check(st["failure_count"] == 0 and st["success_count"] == len(doc["objects"]),
          f"official example {name} accepted whole: {st.get('failures')}")
    ex_objects += doc["objects"]
check(len(ex_objects) > 10, "official STIX example bundles present")
everything = []
nxt = None
while True:
    params = {"match[version]": "all", "limit": "50"}
    if nxt:
        params["next"] = nxt
    env = get_objects(TOKEN_B, params).json()
    everything += env.get("objects", [])
    if not env.get("more"):
        break
    nxt = env["next"]
by_key = {(o["id"], o.get("modified", o.get("created", ""))): o for o in everything}
for o in ex_objects:
    k = (o["id"], o.get("modified", o.get("created", "")))
    check(k in by_key and by_key[k] == o, f"official example object {o['id']} round-trips intact")

# 3.4 Filtering: match[type], match[id], match[spec_version], added_after.
env = get_objects(TOKEN_B, {"match[type]": "indicator"}).json()
check(env.get("objects") and all(o["type"] == "indicator" for o in env["objects"]),
      "3.4.1 match[type]")
types = {o["type"] for o in ex_objects}
multi = sorted(types)[:2]
env = get_objects(TOKEN_B, {"match[type]": ",".join(multi)}).json()
check({o["type"] for o in env.get("objects", [])} <= set(multi), "3.4 comma-separated types OR")
env = get_objects(TOKEN_B, {"match[type]": "grouping"}).json()  # a STIX type: no error
check(all(o["type"] == "grouping" for o in env.get("objects", [])), "3.4.1 type with no objects")
two = [bundle_objects[0]["id"], bundle_objects[2]["id"]]
env = get_objects(TOKEN_B, {"match[id]": ",".join(two)}).json()
check(sorted(o["id"] for o in env.get("objects", [])) == sorted(two), "3.4.1 match[id] list")
env = get_objects(TOKEN_B, {"match[id]": two[0], "match[type]": "malware"}).json()
check("objects" not in env, "3.4 match fields are ANDed; 3.7 empty envelope has no objects")
env = get_objects(TOKEN_B, {"match[spec_version]": "2.1", "match[id]": two[0]}).json()
check(len(env.get("objects", [])) == 1, "3.4.1 match[spec_version]=2.1")
env = get_objects(TOKEN_B, {"match[spec_version]": "2.0", "match[id]": two[0]}).json()
check("objects" not in env, "3.4.1 match[spec_version]=2.0 excludes 2.1 objects")
for bad_params in ({"limit": "0"}, {"limit": "-1"}, {"limit": "x"}, {"added_after": "yesterday"},
                   {"added_after": "2024-02-30T00:00:00Z"}, {"match[version]": "all,last"},
                   {"match[version]": "last,last"}, {"match[version]": "soon"},
                   {"next": "not-a-cursor"}, {"match[id]": "nonsense"},
                   {"match[type]": "Bad Type"}, {"match[spec_version]": "two"},
                   {"match[type]": "indicator,"}):
    check_error(get_objects(TOKEN_B, bad_params), 400, f"3.4 malformed {bad_params}")
r = request("GET", COL + "objects/?limit=1&limit=2", TOKEN_B)
check_error(r, 400, "3.4 a parameter given twice")

# ---- versions: match[version] and 5.8 ----------------------------------------
vid = f"indicator--{uuid.uuid4()}"
v1 = indicator(500, ident=vid, modified="2024-01-01T00:00:00.000Z")
v2 = indicator(500, ident=vid, modified="2024-02-01T00:00:00.000Z")
v3 = indicator(500, ident=vid, modified="2024-03-01T00:00:00.123Z")
v2["name"] = "second"
v3["name"] = "third"
add_ok(TOKEN_A, [v1, v2])
add_ok(TOKEN_A, [v3])


def versions_of(params):
    env = get_objects(TOKEN_B, dict(params, **{"match[id]": vid})).json()
    return sorted(o["modified"] for o in env.get("objects", []))


check(versions_of({}) == [v3["modified"]], "3.4.1 default match[version] is last")
check(versions_of({"match[version]": "last"}) == [v3["modified"]], "3.4.1 last")
check(versions_of({"match[version]": "first"}) == [v1["modified"]], "3.4.1 first")
check(versions_of({"match[version]": "all"}) == [v1["modified"], v2["modified"], v3["modified"]],
      "3.4.1 all")
check(versions_of({"match[version]": "first,last"}) == [v1["modified"], v3["modified"]],
      "3.4.1 first,last")
check(versions_of({"match[version]": v2["modified"]}) == [v2["modified"]], "3.4.1 a timestamp")
check(versions_of({"match[version]": "2024-02-01T00:00:00Z"}) == [v2["modified"]],
      "3.4.1 the same timestamp written with another precision")
check(versions_of({"match[version]": f"first,{v2['modified']}"}) == [v1["modified"], v2["modified"]],
      "3.4.1 first and a timestamp")

# 5.6 Get an Object.
OBJ = COL + f"objects/{vid}/"
r = request("GET", OBJ, TOKEN_B)
check(r.status == 200 and [o["name"] for o in r.json()["objects"]] == ["third"],
      f"5.6 get an object: latest by default: {r.body}")
check(r.header("X-TAXII-Date-Added-First") and r.header("X-TAXII-Date-Added-Last"), "3.2 on 5.6")
r = request("GET", OBJ + "?match[version]=all", TOKEN_B)
check(len(r.json()["objects"]) == 3, "5.6 match[version]=all")
check_error(request("GET", COL + f"objects/indicator--{uuid.uuid4()}/", TOKEN_B), 404,
            "5.6 unknown object")
check_error(request("GET", OBJ, TOKEN_C), 404, "5.6 the outsider: 404")
check_error(request("GET", OBJ + "?match[type]=indicator", TOKEN_B), 400,
            "5.6 the only match fields are version and spec_version")

# 5.8 Get Object Versions.
r = request("GET", OBJ + "versions/", TOKEN_B)
check(r.status == 200 and media_type_is_taxii(r), f"5.8 versions: {r.status} {r.body}")
check(r.json()["versions"] == [v1["modified"], v2["modified"], v3["modified"]],
      f"5.8.1 versions in order of addition: {r.body}")
check(r.header("X-TAXII-Date-Added-First") and r.header("X-TAXII-Date-Added-Last"), "3.2 on 5.8")
r = request("GET", OBJ + "versions/?limit=2", TOKEN_B)
body = r.json()
check(body.get("more") is True and len(body["versions"]) == 2, "5.8 versions paginate")
check_error(request("GET", OBJ + "versions/", TOKEN_C), 404, "5.8 the outsider: 404")

# ---- 5.3 Get Object Manifests ------------------------------------------------
r = request("GET", COL + f"manifest/?match[id]={vid}&match[version]=all", TOKEN_B)
check(r.status == 200 and media_type_is_taxii(r), f"5.3 manifest: {r.status}")
man = r.json()["objects"]
check([m["version"] for m in man] == [v1["modified"], v2["modified"], v3["modified"]],
      "5.3.1 one record per version, in order of addition")
for m in man:
    check(m["id"] == vid and is_timestamp(m["date_added"]), "5.3.1 manifest-record id/date_added")
    check(m.get("media_type", STIX) in comm.get("media_types", [STIX]), "5.3.1 media_type")
check(r.header("X-TAXII-Date-Added-First") == man[0]["date_added"], "3.2 header = first date_added")
check(r.header("X-TAXII-Date-Added-Last") == man[-1]["date_added"], "3.2 header = last date_added")
r = request("GET", COL + "manifest/?match[type]=indicator&limit=1", TOKEN_B)
check(len(r.json()["objects"]) == 1 and r.json().get("more") is True, "5.3 manifest limit/more")
check_error(request("GET", COL + "manifest/", TOKEN_C), 404, "5.3 the outsider: 404")

# ---- 3.4 added_after and 3.5 pagination by X-TAXII-Date-Added-Last -----------
r = get_objects(TOKEN_B, {"match[id]": vid, "match[version]": "all"})
last_added = r.header("X-TAXII-Date-Added-Last")
env = get_objects(TOKEN_B, {"added_after": last_added}).json()
for o in env.get("objects", []):
    check(o["id"] != vid or o["modified"] != v3["modified"], "3.4 added_after is strictly after")
env = get_objects(TOKEN_B, {"added_after": "1970-01-01T00:00:00.000000Z", "match[id]": vid}).json()
check(len(env.get("objects", [])) == 1, "3.4 added_after in the past keeps everything")
env = get_objects(TOKEN_B, {"added_after": "9999-12-31T23:59:59.999999Z"}).json()
check("objects" not in env, "3.4 added_after in the future: empty envelope")

# ---- Ownership: only the organisation that first added an id adds versions -----
hijack = dict(v3, modified="2024-04-01T00:00:00.000Z", name="hijacked")
revoke = dict(v3, modified="2024-04-02T00:00:00.000Z", revoked=True)
mine = indicator(501)
st = add_ok(TOKEN_B, [hijack, revoke, mine])
check(st["total_count"] == 3 and st["success_count"] == 1 and st["failure_count"] == 2,
      f"ownership: B's versions of A's object fail, B's own object is added: {st}")
check([f["id"] for f in st["failures"]] == [vid, vid] and
      all("another organisation" in f.get("message", "") for f in st["failures"]),
      f"ownership: each failure names the object and the reason: {st['failures']}")
check(request("GET", OBJ + "versions/", TOKEN_A).json()["versions"] ==
      [v1["modified"], v2["modified"], v3["modified"]], "ownership: no version was added")
check([o["name"] for o in request("GET", OBJ, TOKEN_A).json()["objects"]] == ["third"],
      "ownership: A's latest version is unchanged and not revoked")

# ---- 5.7 Delete an Object ------------------------------------------------------
check_error(request("DELETE", OBJ, TOKEN_B), 403, "5.7 B may read but not delete A's object")
check_error(request("DELETE", OBJ, TOKEN_C), 404, "5.7 the outsider: 404")
check_error(request("DELETE", OBJ, TOKEN_READONLY), 403, "5.7 a read-only token: 403")
r = request("DELETE", OBJ + f"?match[version]={v3['modified']}", TOKEN_A)
check(r.status == 200, f"5.7 A deletes one version: {r.status} {r.body}")
check(request("GET", OBJ + "versions/", TOKEN_B).json()["versions"] == [v1["modified"], v2["modified"]],
      "5.7 the deleted version is gone from 5.8")
check([o["name"] for o in request("GET", OBJ, TOKEN_B).json()["objects"]] == ["second"],
      "5.7 the previous version is the latest again")
r = request("GET", OBJ + f"?match[version]={v3['modified']}", TOKEN_B)
check("objects" not in r.json(), "5.7 the deleted version is not returned")
r = request("DELETE", OBJ, TOKEN_A)
check(r.status == 200, f"5.7 A deletes the object: {r.status}")
check_error(request("GET", OBJ, TOKEN_B), 404, "5.7 after DELETE, Get an Object is 404")
m = request("GET", COL + f"manifest/?match[id]={vid}", TOKEN_B).json()
check("objects" not in m, "5.7 nor is it in the manifest")
check_error(request("DELETE", OBJ, TOKEN_A), 404, "5.7 deleting twice: 404")

# ---- 3.5 Pagination: limit=1 through everything while another client adds ------
def page_all(token, limit, writer_done=None, params=None):
    """Pages with `next` until the end; with `writer_done`, until a request
    issued after the writer finished reaches the end."""
    got = []
    nxt = None
    while True:
        finished = writer_done is None or writer_done.is_set()  # before the request
        p = dict(params or {}, limit=str(limit))
        if nxt:
            p["next"] = nxt
        r = get_objects(token, p)
        check(r.status == 200, f"3.5 page: {r.status} {r.body}")
        env = r.json()
        objs = env.get("objects", [])
        check(len(objs) <= limit, "3.4 a response never holds more than limit objects")
        got += objs
        if objs:
            check("next" in env, "3.5 next to continue")
            nxt = env["next"]
        if env.get("more"):
            check(objs, "3.5 more without objects")
            continue
        if finished:
            return got


before = page_all(TOKEN_B, 1000, params={"match[version]": "all"})
writer_ids = []
writer_errors = []
done = threading.Event()


def writer():
    try:
        for batch in range(20):
            objs = [indicator(10000 + batch * 5 + i) for i in range(5)]
            st = add_ok(TOKEN_A2, objs)
            if st["success_count"] != 5:
                writer_errors.append(st)
            writer_ids.extend(o["id"] for o in objs)
    except SystemExit:
        writer_errors.append("check failed in writer")
    finally:
        done.set()


t = threading.Thread(target=writer)
t.start()
paged = page_all(TOKEN_B, 1, writer_done=done, params={"match[version]": "all"})
t.join()
check(not writer_errors, f"writer: {writer_errors}")
keys = [(o["id"], o.get("modified", "")) for o in paged]
check(len(keys) == len(set(keys)), "3.5 pagination while writing: no object twice")
expected = {(o["id"], o.get("modified", "")) for o in before} | {
    (i, "2024-01-01T00:00:00.000Z") for i in writer_ids}
check(set(keys) == expected,
      f"3.5 pagination while writing: no gap ({len(expected - set(keys))} missing, "
      f"{len(set(keys) - expected)} unexpected)")
check(len(paged) == len(before) + 100, f"3.5 every object once: {len(paged)} vs {len(before)} + 100")

# Sorting (3.3): ascending date_added across the whole walk, per the manifest.
man = []
nxt = None
while True:
    q = "?limit=7&match[version]=all" + (f"&next={nxt}" if nxt else "")
    body = request("GET", COL + "manifest/" + q, TOKEN_B).json()
    man += body.get("objects", [])
    if not body.get("more"):
        break
    nxt = body["next"]
dates = [m["date_added"] for m in man]
check(dates == sorted(dates), "3.3 manifest sorted by date_added ascending")
check(len(man) == len(paged), "5.3 the manifest has one record per object version")

# ---- The organisation's private collection: only its own organisation --------
PRIV = API_ROOT + f"collections/{ORG_A}/"
st = add_ok(TOKEN_A, [indicator(7777)], col=PRIV)
check(st["success_count"] == 1, "private collection: A adds")
check(len(request("GET", PRIV + "objects/", TOKEN_A2).json()["objects"]) == 1,
      "private collection: a colleague in A reads it")
check_error(request("GET", PRIV + "objects/", TOKEN_B), 404, "private collection: B gets 404")
check_error(request("GET", PRIV + "objects/", TOKEN_C), 404, "private collection: C gets 404")

# ---- TLP:RED shared in the community: only its owner reads it ----------------
red = indicator(8888, tlp_green=False)
red["object_marking_refs"] = ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]
add_ok(TOKEN_A, [red])
check(len(request("GET", COL + f"objects/?match[id]={red['id']}", TOKEN_A).json().get("objects", [])) == 1,
      "TLP:RED: the owner reads it")
check("objects" not in request("GET", COL + f"objects/?match[id]={red['id']}", TOKEN_B).json(),
      "TLP:RED: the other member does not")
check_error(request("GET", COL + f"objects/{red['id']}/", TOKEN_B), 404, "TLP:RED: 404 by id")

# ---- The outsider sees nothing at all -----------------------------------------
for c in cols_c:
    env = request("GET", API_ROOT + f"collections/{c['id']}/objects/?match[version]=all",
                  TOKEN_C).json()
    for o in env.get("objects", []):
        check(o["id"] not in {x["id"] for x in paged}, "the outsider never reads the community's objects")

print(f"taxii client: {CHECKS} checks passed")
