"""The OpenAPI 3.1 document is made from the route table: every operation the app routes
under /api/v1 is in it (and nothing else), every reference resolves, every write names its
refusals; it and its browsable page are served without a token and without a CDN."""

import re

from app.api.openapi import document


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_the_document_lists_exactly_the_routed_operations(app):
    doc = document()
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint == "api.unknown":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_every_reference_resolves_and_every_write_names_its_refusals(app):
    doc = document()
    schemas = doc["components"]["schemas"]
    for ref in set(_refs(doc)):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op.get("security") == []:
                assert path in ("/api/v1/openapi.json", "/api/v1/docs")
                continue
            assert {"401", "429"} <= set(op["responses"]), (path, method)
            if method in ("post", "patch"):
                assert {"400", "403", "415", "422"} <= set(op["responses"]), (path, method)
                assert "application/json" in op["requestBody"]["content"]
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    assert "{" + p["name"] + "}" in path


def test_the_document_and_its_page_are_served_without_a_token_or_a_cdn(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.get_json()["info"]["title"] == "Sáu Rõ API"
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/tasks/{task_id}/progress" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
