"""The API's schemas, written once as JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12):
the same dictionaries validate request bodies and query arguments, describe responses, and
make /api/v1/openapi.json (app/api/openapi.py). A small validator covers the part of JSON
Schema these schemas use, so that no second description of a field can drift away."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# ---- building blocks -----------------------------------------------------------

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
NUMBER = {"type": "number"}


def nullable(schema: dict) -> dict:
    """The same schema, or null (JSON Schema 2020-12: a list of types)."""
    if "type" not in schema:  # a reference, an enum: either it or null
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    types = schema.get("type")
    out["type"] = [types, "null"] if isinstance(types, str) else [*types, "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: tuple[str, ...] | list[str] = (), **extra) -> dict:
    """An object with exactly these properties (unknown ones are refused)."""
    out = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def text(max_length: int, min_length: int = 0) -> dict:
    out = {"type": "string", "maxLength": max_length}
    if min_length:
        out["minLength"] = min_length
    return out


# Every schema the document names, filled by the modules that define them.
COMPONENTS: dict[str, dict] = {}


def component(name: str, schema: dict) -> dict:
    """Register a named schema and return a reference to it."""
    COMPONENTS[name] = schema
    return ref(name)


# ---- validation ----------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with a value: where (a JSON pointer-ish dotted path), a code."""

    field: str
    code: str
    limit: Any = None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate(schema: dict, value: Any, path: str = "") -> list[Problem]:
    """Every problem of `value` against `schema` (empty: valid)."""
    schema = _resolve(schema)
    if "oneOf" in schema:
        for option in schema["oneOf"]:
            if not validate(option, value, path):
                return []
        return [Problem(path, "type")]
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_TYPES[t](value) for t in names):
            return [Problem(path, "type", names[0])]
    if value is None:
        return []
    out: list[Problem] = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(Problem(path, "enum", [v for v in schema["enum"] if v is not None]))
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", 10**9):
            out.append(Problem(path, "maxLength", schema["maxLength"]))
        if len(value.strip()) < schema.get("minLength", 0):
            out.append(Problem(path, "required"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(Problem(path, "format", "pattern"))
        if schema.get("format") == "date" and not _is_date(value):
            out.append(Problem(path, "format", "date"))
        if "\x00" in value:
            out.append(Problem(path, "format", "text"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(Problem(path, "minimum", schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            out.append(Problem(path, "maximum", schema["maximum"]))
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", 10**9):
            out.append(Problem(path, "maxItems", schema["maxItems"]))
        if "items" in schema:
            for i, item in enumerate(value):
                out.extend(validate(schema["items"], item, f"{path}[{i}]"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(Problem(_join(path, name), "required"))
        for name, item in value.items():
            if name in props:
                out.extend(validate(props[name], item, _join(path, name)))
            elif schema.get("additionalProperties") is False:
                out.append(Problem(_join(path, name), "unknown"))
            elif isinstance(schema.get("additionalProperties"), dict):
                out.extend(validate(schema["additionalProperties"], item, _join(path, name)))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---- the route table -------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """A query argument: its schema validates it (after conversion from text)."""

    name: str
    schema: dict
    description: str = ""


@dataclass
class Endpoint:
    """One operation of the API, as the OpenAPI document describes it."""

    rule: str
    method: str
    name: str
    summary: str
    tag: str
    response: dict | None = None
    status: int = 200
    params: tuple[Param, ...] = ()
    body: dict | None = None
    multipart: dict | None = None  # the multipart/form-data form of the body (files)
    write: bool = False
    public: bool = False
    description: str = ""
    errors: tuple[int, ...] = field(default=())


ENDPOINTS: list[Endpoint] = []
