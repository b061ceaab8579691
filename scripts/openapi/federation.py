# Federation additions (src/api/routes_federation.cc, docs/federation.md): introductions between
# nodes (identity exchange on `peer add`). The older federation routes are in gen-openapi.py.
schemas.update({
  "IntroductionInput": s("object", additionalProperties=False, required=["node_id", "public_key", "name", "base_url"], properties={
      "node_id": s("string", pattern="^[0-9a-f]{64}$", description="the introducing node's id: the fingerprint of public_key"),
      "public_key": s("string", description="base64url Ed25519 key; the request must be signed by it"),
      "name": s("string", maxLength=200, description="the introducing node's organisation"),
      "base_url": s("string", maxLength=512)}),
  "IntroductionReceipt": s("object", properties={
      "node_id": s("string", description="the receiving node"),
      "state": s("string", enum=["pending", "accepted"], description="accepted when the receiving node already pins the introducing one")}),
  "Introduction": s("object", properties={
      "node_id": s("string"), "fingerprint": s("string"), "public_key": s("string"), "name": s("string"), "base_url": s("string"),
      "state": s("string", enum=["pending", "accepted"]), "times": s("integer"), "received": ts, "updated": ts}),
  "IntroductionList": s("object", properties={"items": s("array", items=ref("Introduction"))}),
})
R += [
 ("post", "/federation/v1/introduce", "public", "Node to node: a node that pinned this one introduces itself. Signed with the Entente-* headers by the key the body presents (401 otherwise); recorded as a pending introduction that grants nothing until an operator here peers with that node (409 if the id is pinned with another key, 429 when 1,000 are pending)",
  [], "IntroductionInput", (200, ref("IntroductionReceipt"), None)),
 ("get", "/api/v1/federation/introductions", "node.admin", "Nodes that introduced themselves, pending first (accept one with POST /api/v1/federation/peers and the fingerprint obtained out of band)",
  [], None, (200, ref("IntroductionList"), None)),
]
