# TAXII 2.1 server (src/api/routes_taxii.cc, docs/intel.md "TAXII 2.1"). Requests and responses are
# application/taxii+json;version=2.1 (OASIS TAXII 2.1, section 1.6.8); errors are TAXII error
# messages (section 3.6.1), not problem+json: the hook at the end rewrites the generic error
# responses of these paths. Authentication: the node's API tokens, as Bearer or as the password of
# HTTP Basic (any user name). A collection the caller's organisation cannot see is 404.
TAXII_CT = "application/taxii+json;version=2.1"
_col = {"name": "id", "in": "path", "required": True, "description": "collection id: a community id, or your organisation's id for its private collection", "schema": uuid}
_obj = {"name": "object_id", "in": "path", "required": True, "description": "STIX identifier (type--UUID)", "schema": s("string", maxLength=128)}
_status = {"name": "status_id", "in": "path", "required": True, "schema": uuid}
_added_after = q("added_after", "objects added after this TAXII timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z), compared to the millisecond")
_tlimit = {"name": "limit", "in": "query", "required": False, "description": "objects per page (default 1000; larger values are lowered to 10000)", "schema": s("integer", minimum=1)}
_next = q("next", "the `next` of the previous page (opaque; also given when `more` is false, to poll for later additions)", maxLength=12)
_mid = q("match[id]", "STIX ids, comma-separated (OR)")
_mtype = q("match[type]", "object types, comma-separated (OR)")
_mversion = q("match[version]", "last (default), first, all, or STIX timestamps, comma-separated (OR); `all` alone")
_mspec = q("match[spec_version]", "2.1 (every stored object) or other versions (none), comma-separated")
_filters = [_added_after, _tlimit, _next]
schemas.update({
  "TaxiiError": s("object", description="TAXII 2.1 error message (section 3.6.1)", required=["title"], properties={
      "title": s("string"), "description": s("string"), "error_code": s("string"),
      "http_status": s("string", description="the HTTP status, as a string")}),
  "TaxiiDiscovery": s("object", required=["title"], properties={
      "title": s("string"), "description": s("string"), "default": s("string"),
      "api_roots": s("array", items=s("string", description="relative URL, /taxii2/api1/"))}),
  "TaxiiApiRoot": s("object", required=["title", "versions", "max_content_length"], properties={
      "title": s("string"), "description": s("string"), "versions": s("array", items=s("string")),
      "max_content_length": s("integer")}),
  "TaxiiCollection": s("object", required=["id", "title", "can_read", "can_write"], properties={
      "id": uuid, "title": s("string"), "description": s("string"), "can_read": s("boolean"), "can_write": s("boolean"),
      "media_types": s("array", items=s("string"))}),
  "TaxiiCollections": s("object", properties={"collections": s("array", items=ref("TaxiiCollection"))}),
  "TaxiiEnvelope": s("object", description="section 3.7", properties={
      "more": s("boolean"), "next": s("string"), "objects": s("array", items=s("object", description="a STIX 2.1 object"))}),
  "TaxiiManifest": s("object", properties={"more": s("boolean"), "next": s("string"), "objects": s("array", items=s("object", properties={
      "id": s("string"), "date_added": s("string"), "version": s("string"), "media_type": s("string")}))}),
  "TaxiiVersions": s("object", properties={"more": s("boolean"), "next": s("string"), "versions": s("array", items=s("string"))}),
  "TaxiiStatusDetails": s("object", required=["id", "version"], properties={"id": s("string"), "version": s("string"), "message": s("string")}),
  "TaxiiStatus": s("object", required=["id", "status", "total_count", "success_count", "failure_count", "pending_count"], properties={
      "id": uuid, "status": s("string", enum=["complete", "pending"]), "request_timestamp": s("string"),
      "total_count": s("integer"), "success_count": s("integer"), "successes": s("array", items=ref("TaxiiStatusDetails")),
      "failure_count": s("integer"), "failures": s("array", items=ref("TaxiiStatusDetails")),
      "pending_count": s("integer"), "pendings": s("array", items=ref("TaxiiStatusDetails"))}),
})
R.extend([
 ("get", "/taxii2/", "intel.read", "TAXII 2.1 server discovery (4.1): the API root /taxii2/api1/", [], None, (200, ref("TaxiiDiscovery"), TAXII_CT)),
 ("get", "/taxii2/api1/", "intel.read", "TAXII 2.1 API root (4.2): versions and max_content_length", [], None, (200, ref("TaxiiApiRoot"), TAXII_CT)),
 ("get", "/taxii2/api1/status/{status_id}/", "intel.read", "TAXII 2.1 status of an Add Objects request (4.3), to the organisation that posted it, for 7 days", [_status], None, (200, ref("TaxiiStatus"), TAXII_CT)),
 ("get", "/taxii2/api1/collections/", "intel.read", "TAXII 2.1 collections (5.1): your organisation's private collection and one per community it is an active member of", [], None, (200, ref("TaxiiCollections"), TAXII_CT)),
 ("get", "/taxii2/api1/collections/{id}/", "intel.read", "TAXII 2.1 collection (5.2)", [_col], None, (200, ref("TaxiiCollection"), TAXII_CT)),
 ("get", "/taxii2/api1/collections/{id}/manifest/", "intel.read", "TAXII 2.1 object manifests (5.3): one record per version you may read; headers X-TAXII-Date-Added-First/Last", [_col] + _filters + [_mid, _mtype, _mversion, _mspec], None, (200, ref("TaxiiManifest"), TAXII_CT)),
 ("get", "/taxii2/api1/collections/{id}/objects/", "intel.read", "TAXII 2.1 get objects (5.4): an envelope of the objects you may read (TLP and distribution enforced), in order of addition; headers X-TAXII-Date-Added-First/Last", [_col] + _filters + [_mid, _mtype, _mversion, _mspec], None, (200, ref("TaxiiEnvelope"), TAXII_CT)),
 ("post", "/taxii2/api1/collections/{id}/objects/", "intel.write", "TAXII 2.1 add objects (5.5): an envelope (Content-Type application/taxii+json;version=2.1), imported with partial acceptance; answers the status (202)", [_col], "TaxiiEnvelope", (202, ref("TaxiiStatus"), TAXII_CT)),
 ("get", "/taxii2/api1/collections/{id}/objects/{object_id}/", "intel.read", "TAXII 2.1 get an object (5.6): its versions selected by match[version] (default last)", [_col, _obj] + _filters + [_mversion, _mspec], None, (200, ref("TaxiiEnvelope"), TAXII_CT)),
 ("delete", "/taxii2/api1/collections/{id}/objects/{object_id}/", "intel.write", "TAXII 2.1 delete an object (5.7): the versions match[version] selects (all when absent), if your organisation added every one of them; the newest remaining version becomes the latest", [_col, _obj, _mversion, _mspec], None, (200, None, TAXII_CT)),
 ("get", "/taxii2/api1/collections/{id}/objects/{object_id}/versions/", "intel.read", "TAXII 2.1 object versions (5.8), in order of addition", [_col, _obj] + _filters + [_mspec], None, (200, ref("TaxiiVersions"), TAXII_CT)),
])


def _taxii_errors(path, method, op):
    """TAXII paths answer TAXII error messages with the TAXII media type."""
    if not path.startswith("/taxii2/"):
        return
    if "requestBody" in op:
        op["requestBody"] = {"required": True, "content": {TAXII_CT: {"schema": ref("TaxiiEnvelope")}}}
    op["security"] = [{"bearerAuth": []}, {"basicToken": []}]
    errs = {"400": "a query parameter is malformed (section 3.4)",
            "401": "no credentials, or the token is invalid, expired or revoked (with WWW-Authenticate)",
            "403": "your role or token scope does not allow this (intel.read: analysts and above; intel.write to add or delete), or the object is not your organisation's (delete)",
            "404": "no such collection, object or status, or your organisation cannot see it",
            "406": "Accept does not allow application/taxii+json;version=2.1"}
    if method == "post":
        errs.update({"413": "the body exceeds max_content_length", "415": "Content-Type is not application/taxii+json;version=2.1",
                     "422": "the body is not a TAXII envelope with a non-empty objects list"})
    for k in [k for k in op["responses"] if k[0] in "45"]:
        del op["responses"][k]
    for code, desc in errs.items():
        op["responses"][code] = {"description": desc, "content": {TAXII_CT: {"schema": ref("TaxiiError")}}}


OP_HOOKS = globals().setdefault("OP_HOOKS", [])
OP_HOOKS.append(_taxii_errors)
