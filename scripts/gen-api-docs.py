#!/usr/bin/env python3
"""Writes docs/api.md, the Markdown API reference, from src/api/openapi.json.

The output depends only on the document (no dates, no environment), so running
it twice gives the same file. Run from anywhere:

    python3 scripts/gen-api-docs.py [--check]

--check exits 1 (writing nothing) when docs/api.md is not up to date.
"""
import json
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SRC = os.path.join(ROOT, "src", "api", "openapi.json")
OUT = os.path.join(ROOT, "docs", "api.md")
METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

with open(SRC, encoding="utf-8") as f:
    doc = json.load(f)
components = doc.get("components", {})
schemas = components.get("schemas", {})


# ---- helpers ------------------------------------------------------------------

def deref(obj):
    """Follows local $refs (#/components/...) until a non-reference."""
    seen = set()
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if ref in seen or not ref.startswith("#/"):
            break
        seen.add(ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def ref_name(obj):
    if isinstance(obj, dict) and "$ref" in obj:
        return obj["$ref"].rsplit("/", 1)[-1]
    return None


def cell(text):
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def code(v):
    if v is None:
        return "`null`"
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, str):
        return f"`{v}`"
    return f"`{json.dumps(v, ensure_ascii=False)}`"


def op_anchor(op):
    return "op-" + re.sub(r"[^a-z0-9]+", "-", op["operationId"].lower()).strip("-")


def schema_anchor(name):
    return "schema-" + name.lower()


def non_null(sch):
    """(schema without the null alternative, nullable?) for `X or null` shapes."""
    if "anyOf" in sch:
        alts = [a for a in sch["anyOf"] if a != {"type": "null"}]
        if len(alts) == 1 and len(alts) < len(sch["anyOf"]):
            merged = dict(alts[0]) if "$ref" not in alts[0] else alts[0]
            return merged, True
    t = sch.get("type")
    if isinstance(t, list) and "null" in t:
        rest = [x for x in t if x != "null"]
        s = dict(sch)
        s["type"] = rest[0] if len(rest) == 1 else rest
        if "enum" in s:
            s["enum"] = [e for e in s["enum"] if e is not None]
        return s, True
    return sch, False


def type_of(sch):
    """A short human-readable type, with links to named schemas."""
    if sch is None:
        return ""
    name = ref_name(sch)
    if name:
        return f"[{name}](#{schema_anchor(name)})"
    inner, nullable = non_null(sch)
    if nullable:
        return type_of(inner) + " or null"
    if "const" in sch:
        return code(sch["const"])
    if "enum" in sch:
        return " \\| ".join(code(e) for e in sch["enum"])
    if "oneOf" in sch:
        return " or ".join(type_of(a) for a in sch["oneOf"])
    if "allOf" in sch and "type" not in sch:
        return " + ".join(type_of(a) for a in sch["allOf"])
    t = sch.get("type", "object" if "properties" in sch else "any")
    if isinstance(t, list):
        t = " or ".join(t)
    if t == "array" and "items" in sch:
        return "array of " + type_of(sch["items"])
    if t == "object" and isinstance(sch.get("additionalProperties"), dict) and "properties" not in sch:
        keys = type_of(sch["propertyNames"]) if "propertyNames" in sch else "string"
        return f"map of {keys} to {type_of(sch['additionalProperties'])}"
    if sch.get("format"):
        return f"{t} ({sch['format']})"
    return t


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


BOUNDS = [("minLength", "maxLength", "character"), ("minItems", "maxItems", "item"),
          ("minProperties", "maxProperties", "entry")]


def constraints(sch):
    sch, _ = non_null(sch)
    if ref_name(sch):
        return ""
    out = []
    for lo, hi, word in BOUNDS:
        a, b = sch.get(lo), sch.get(hi)
        if b == 0:
            out.append("empty")
        elif a is not None and a == b:
            out.append("exactly " + plural(a, word).replace("entrys", "entries"))
        elif a is not None and b is not None:
            out.append(f"{a}-{b} {word}s".replace("entrys", "entries"))
        elif a is not None:
            out.append("at least " + plural(a, word).replace("entrys", "entries"))
        elif b is not None:
            out.append("at most " + plural(b, word).replace("entrys", "entries"))
    if "minimum" in sch and "maximum" in sch:
        out.append(f"{sch['minimum']} to {sch['maximum']}")
    elif "minimum" in sch:
        out.append(f"≥ {sch['minimum']}")
    elif "maximum" in sch:
        out.append(f"≤ {sch['maximum']}")
    if sch.get("uniqueItems"):
        out.append("no duplicates")
    if "pattern" in sch:
        out.append(f"pattern `{sch['pattern']}`")
    if "default" in sch:
        out.append(f"default {code(sch['default'])}")
    items = sch.get("items")
    if isinstance(items, dict) and not ref_name(items):
        inner = constraints(items)
        if inner:
            out.append(f"each item: {inner}")
    return "; ".join(out)


def notes(sch, extra="", lead=""):
    parts = [lead.rstrip(".")] if lead else []
    plain, _ = non_null(sch)
    desc = sch.get("description") or plain.get("description")
    if desc and not lead:
        parts.append(desc.rstrip("."))
    c = constraints(sch)
    if c:
        parts.append(c)
    if extra:
        parts.append(extra)
    return cell("; ".join(parts))


def conditional_notes(sch):
    """Notes from `allOf: [{if: {properties: {k: {const}}}, then: {properties: {f: {pattern}}}}]`."""
    out = {}
    for part in sch.get("allOf", []):
        cond, then = part.get("if", {}), part.get("then", {})
        for k, v in cond.get("properties", {}).items():
            if "const" not in v:
                continue
            for f, rule in then.get("properties", {}).items():
                for key, val in sorted(rule.items()):
                    out.setdefault(f, []).append(f"when `{k}` is {code(v['const'])}: {key} `{val}`")
    return out


def field_rows(sch, prefix="", form="", expand_refs=True):
    """Rows (field, type, required, notes) of an object schema. Nested members are included, also
    those of named schemas when `expand_refs` (request bodies), not otherwise (schema sections)."""
    rows = []
    sch = deref(sch)
    if "oneOf" in sch:
        for alt in sch["oneOf"]:
            alt = deref(alt)
            rows += field_rows(alt, prefix, alt.get("title", ""), expand_refs)
        return rows
    req = set(sch.get("required", []))
    cond = conditional_notes(sch)
    for key, prop in sch.get("properties", {}).items():
        path = f"{prefix}{key}"
        extra = "; ".join(cond.get(key, []))
        if form:
            extra = (f"form `{form}`" + ("; " + extra if extra else ""))
        rows.append((path, type_of(prop), "yes" if key in req else "", notes(prop, extra)))
        target, _ = non_null(prop)
        if ref_name(target) and not expand_refs:
            continue
        target = deref(target)
        if target.get("type") == "object" and "properties" in target or "oneOf" in target:
            rows += field_rows(target, path + ".", "", expand_refs)
        elif target.get("type") == "array":
            item = target.get("items", {})
            if ref_name(item) and not expand_refs:
                continue
            item = deref(item)
            if item.get("type") == "object" and "properties" in item:
                rows += field_rows(item, path + "[].", "", expand_refs)
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return out


def paragraphs(text):
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


# ---- document-level sections ----------------------------------------------------

operations = []  # (tag, path, method, op)
tag_order = [t["name"] for t in doc.get("tags", [])]
for path, item in doc["paths"].items():
    for method in METHODS:
        if method in item:
            op = item[method]
            tag = (op.get("tags") or ["Other"])[0]
            operations.append((tag, path, method, op))
tag_rank = {t: i for i, t in enumerate(tag_order)}
operations.sort(key=lambda o: (tag_rank.get(o[0], len(tag_order)), o[1], METHODS.index(o[2])))

info = doc["info"]
out = [f"# {info['title']} — reference", "",
       "<!-- Generated by scripts/gen-api-docs.py from src/api/openapi.json; do not edit by hand. -->", "",
       f"OpenAPI {doc['openapi']}, API version {info['version']}. The machine-readable document is served by "
       "every node at `GET /api/v1/openapi.json`.", ""]

# Intro paragraphs: the first is the overview; "**Title.** text" paragraphs become sections.
sections = []
for p in paragraphs(info.get("description")):
    m = re.match(r"\*\*(.+?)\.\*\*\s*(.*)", p, re.S)
    if m:
        sections.append((m.group(1), m.group(2)))
    elif not sections:
        out += [p, ""]
    else:
        sections[-1] = (sections[-1][0], sections[-1][1] + "\n\n" + p)
section_text = dict(sections)

out += ["## Contents", ""]
for name, _ in sections:
    out.append(f"- [{name}](#{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')})")
out.append("- [Operations](#operations)")
for tag in tag_order + sorted({o[0] for o in operations} - set(tag_order)):
    ops_of = [o for o in operations if o[0] == tag]
    if not ops_of:
        continue
    out.append(f"  - {tag}: " + ", ".join(
        f"[{o[2].upper()} `{o[1]}`](#{op_anchor(o[3])})" for o in ops_of))
out.append("- [Schemas](#schemas)")
out.append("")

schemes = components.get("securitySchemes", {})
perms = doc.get("x-entente-permissions", {})
csrf = components.get("parameters", {}).get("CsrfToken")
for name, text in sections:
    out += [f"## {name}", ""]
    out += [text, ""]
    if name == "Authentication":
        rows = []
        for sname, s in schemes.items():
            how = (f"HTTP `{s.get('scheme')}`" if s["type"] == "http"
                   else f"{s['type']} in {s.get('in')} `{s.get('name')}`")
            rows.append((f"`{sname}`", how, cell(s.get("description", ""))))
        out += table(["scheme", "how", "notes"], rows) + [""]
        if perms:
            counts = {}
            for _, _, _, op in operations:
                p = op.get("x-entente-permission")
                counts[p] = counts.get(p, 0) + 1
            out += ["Permissions (`x-entente-permission` of each operation):", ""]
            out += table(["permission", "who", "operations"],
                         [(f"`{p}`", cell(who), str(counts.get(p, 0))) for p, who in perms.items()]) + [""]
            out += ["\"The organisation concerned\" is the one the request acts on (named in each operation); "
                    "node operators may act on every organisation of the node.", ""]
    if name == "CSRF" and csrf:
        out += [f"Header `{csrf['name']}`: {csrf.get('description', '')}", ""]
    if name == "Errors" and "Problem" in schemas:
        p = schemas["Problem"]
        out += [p.get("description", ""), ""]
        req = set(p.get("required", []))
        out += table(["member", "type", "always", "notes"],
                     [(f"`{k}`", type_of(v), "yes" if k in req else "", notes(v))
                      for k, v in p.get("properties", {}).items()]) + [""]
        out += ["Example:", "", "```json",
                json.dumps({"type": "urn:entente:problem:invalid_argument", "title": "Unprocessable Content",
                            "status": 422, "detail": "is not an ISO 3166-1 alpha-2 country code",
                            "instance": "/api/v1/orgs", "field": "country"}, ensure_ascii=False),
                "```", ""]
    if name == "Pagination":
        out += ["```sh", "curl -H 'Authorization: Bearer ent_…' '/api/v1/orgs?country=FR&limit=50'",
                "# → {\"items\": [...], \"next\": \"MDE5M...\"}",
                "curl -H 'Authorization: Bearer ent_…' '/api/v1/orgs?country=FR&limit=50&cursor=MDE5M...'",
                "# → {\"items\": [...], \"next\": null}   (last page)", "```", ""]


# ---- operations -----------------------------------------------------------------

def security_text(op):
    sec = op.get("security", doc.get("security", []))
    if not sec:
        return "none (public)"
    alts = []
    for req in sec:
        for sname, scopes in req.items():
            alts.append(f"`{sname}`" + (f" (scope {', '.join(f'`{s}`' for s in scopes)})" if scopes else ""))
    return " or ".join(alts)


out += ["## Operations", ""]
current_tag = None
for tag, path, method, op in operations:
    if tag != current_tag:
        current_tag = tag
        tdesc = next((t.get("description", "") for t in doc.get("tags", []) if t["name"] == tag), "")
        out += [f"### {tag}", ""] + ([tdesc + ".", ""] if tdesc else [])
    out += [f'<a id="{op_anchor(op)}"></a>', f"#### {method.upper()} `{path}`", ""]
    out += [f"**{op.get('summary', '')}** (`{op['operationId']}`)", ""]
    for p in paragraphs(op.get("description")):
        out += [p, ""]
    perm = op.get("x-entente-permission")
    if f"Permission: `{perm}`" not in op.get("description", ""):
        out += [f"Permission: `{perm}`.", ""]
    out += [f"Credentials: {security_text(op)}.", ""]
    params = [deref(p) for p in op.get("parameters", [])]
    if params:
        out += ["Parameters:", ""]
        out += table(["name", "in", "type", "required", "notes"],
                     [(f"`{p['name']}`", p["in"], type_of(p.get("schema")), "yes" if p.get("required") else "",
                       notes(p.get("schema", {}), lead=p.get("description", "")))
                      for p in params]) + [""]
    if "requestBody" in op:
        body = deref(op["requestBody"])
        for ctype, media in body.get("content", {}).items():
            sch = media.get("schema", {})
            out += [f"Request body (`{ctype}`{', required' if body.get('required') else ''}): {type_of(sch)}."
                    + (" Unknown members are rejected." if deref(sch).get("additionalProperties") is False else ""),
                    ""]
            rows = field_rows(sch)
            if rows:
                out += table(["field", "type", "required", "notes"],
                             [(f"`{r[0]}`", r[1], r[2], r[3]) for r in rows]) + [""]
    out += ["Responses:", ""]
    rows = []
    for status, resp in op.get("responses", {}).items():
        rname = ref_name(resp)
        resp = deref(resp)
        content = resp.get("content", {})
        what = []
        for ctype, media in content.items():
            t = type_of(media.get("schema")) if media.get("schema") else ""
            what.append((t + " " if t else "") + f"`{ctype}`")
        desc = resp.get("description", "")
        for hname, h in resp.get("headers", {}).items():
            desc += f" Header `{hname}`: {deref(h).get('description', '')}."
        rows.append((f"**{status}**", "<br>".join(what), cell(desc)))
    out += table(["status", "body", "meaning"], rows) + [""]

# ---- schemas --------------------------------------------------------------------

out += ["## Schemas", ""]
for name in sorted(schemas):
    sch = schemas[name]
    out += [f'<a id="{schema_anchor(name)}"></a>', f"### {name}", ""]
    if sch.get("description"):
        out += [sch["description"], ""]
    if "properties" in sch or "oneOf" in sch or "allOf" in sch and any("properties" in deref(a) for a in sch["allOf"]):
        rows = []
        if "allOf" in sch:
            for part in sch["allOf"]:
                if ref_name(part):
                    out += [f"All members of {type_of(part)}, and:", ""]
                else:
                    rows += field_rows(part, expand_refs=False)
        if "properties" in sch or "oneOf" in sch:
            rows += field_rows(sch, expand_refs=False)
        out += table(["member", "type", "required", "notes"],
                     [(f"`{r[0]}`", r[1], r[2], r[3]) for r in rows]) + [""]
        alts = [deref(a) for a in sch.get("oneOf", [])] or [sch]
        if all(a.get("additionalProperties") is False for a in alts):
            out += ["Unknown members are rejected.", ""]
    else:
        line = f"Type: {type_of(sch) if 'enum' not in sch else sch.get('type', '')}."
        c = constraints(sch)
        if c:
            line += f" {c[0].upper() + c[1:]}."
        out += [line, ""]
        if "enum" in sch:
            out += ["Values: " + ", ".join(code(e) for e in sch["enum"]) + ".", ""]

text = "\n".join(out).rstrip("\n") + "\n"
text = re.sub(r"\n{3,}", "\n\n", text)

if "--check" in sys.argv[1:]:
    current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
    if current != text:
        print("docs/api.md is out of date: run scripts/gen-api-docs.py", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
with open(OUT, "w", encoding="utf-8") as f:
    f.write(text)
print(f"docs/api.md written ({len(operations)} operations, {len(schemas)} schemas)")
