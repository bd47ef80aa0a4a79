"""Dash's callback protocol from the client's side: the requests dash-renderer sends.

One set of request builders for the web tests, ``bench/dashboard_bench.py`` and ``scripts/load.py``:
each callback of ``GET /_dash-dependencies`` becomes a ``Callback`` whose ``payload(values,
changed)`` is the body dash-renderer POSTs to ``/_dash-update-component`` (output, outputs,
inputs and state with their current values, changedPropIds). Prop values are keyed
``"id.prop"`` (``prop_key``), a pattern id written as compact sorted JSON. Pattern-matching
outputs/inputs (``ALL``) are expanded over the component ids of the page's layout
(``layout_props``), as the renderer does. Transport is left to the caller, except ``Client``,
a small urllib client for the tests.
"""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass

UPDATE = "/_dash-update-component"


def component_key(ident: str | dict) -> str:
    """A component id as text: itself, or a pattern id as compact JSON with sorted keys."""
    return ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True, separators=(",", ":"))


def prop_key(ident: str | dict, prop: str) -> str:
    """``"id.prop"``, the key of a prop's value (any ``@`` suffix of a duplicate output dropped)."""
    return f"{component_key(ident)}.{prop.split('@')[0]}"


def parse_id(ident: str | dict) -> str | dict:
    """A component id as /_dash-dependencies spells it (pattern ids as JSON text) -> str or dict."""
    return json.loads(ident) if isinstance(ident, str) and ident.startswith("{") else ident


def layout_props(layout) -> dict[str, dict]:
    """The props of every component with an id in a ``/_dash-layout`` tree, by ``component_key``."""
    found: dict[str, dict] = {}

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and "type" in node:
                if "id" in props:
                    found[component_key(props["id"])] = props
                for value in props.values():
                    walk(value)

    walk(layout)
    return found


def matching(pattern: dict, ids: Iterable[str | dict]) -> list[dict]:
    """The pattern ids among ``ids`` that a wildcard pattern (values like ``["ALL"]``) matches."""
    fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
    out = []
    for ident in ids:
        candidate = parse_id(ident)
        if isinstance(candidate, dict) and set(candidate) == set(pattern) and all(candidate[k] == v for k, v in fixed.items()):
            out.append(candidate)
    return out


def is_wildcard(ident: str | dict) -> bool:
    return isinstance(ident, dict) and any(isinstance(v, list) for v in ident.values())


def outputs_of(output: str, ids: Iterable[str | dict] = ()) -> list[dict | list[dict]]:
    """The ``outputs`` of a callback's output string ("a.b" or "..a.b...c.d.."); a wildcard output
    becomes the list of the matching ``ids``."""
    parts = output[2:-2].split("...") if output.startswith("..") and output.endswith("..") else [output]
    ids = list(ids)
    outputs: list[dict | list[dict]] = []
    for part in parts:
        ident, prop = part.rsplit("}.", 1) if part.startswith("{") else part.rsplit(".", 1)
        ident = parse_id(ident + "}" if part.startswith("{") else ident)
        if is_wildcard(ident):
            outputs.append([{"id": match, "property": prop} for match in matching(ident, ids)])
        else:
            outputs.append({"id": ident, "property": prop})
    return outputs


@dataclass(frozen=True)
class Callback:
    """One callback of /_dash-dependencies, ready to build request bodies."""

    output: str
    outputs: list
    inputs: list[dict]
    state: list[dict]
    initial: bool  # fired on page load (not prevent_initial_call=True)

    @classmethod
    def of(cls, dep: dict, ids: Iterable[str | dict] = ()) -> Callback:
        ids = list(ids)

        def specs(items: list[dict]) -> list:
            out = []
            for s in items:
                ident = parse_id(s["id"])
                if is_wildcard(ident):
                    out.append([{"id": m, "property": s["property"]} for m in matching(ident, ids)])
                else:
                    out.append({"id": ident, "property": s["property"]})
            return out

        return cls(dep["output"], outputs_of(dep["output"], ids), specs(dep["inputs"]), specs(dep.get("state", [])),
                   dep.get("prevent_initial_call") is not True)

    @property
    def first_output(self) -> str:
        first = self.outputs[0]
        return prop_key(first["id"], first["property"]) if isinstance(first, dict) else "views"

    def reads(self, keys: Container[str]) -> list[str]:
        """The inputs of this callback ("id.prop", in its order) that are among ``keys``."""
        mine = [prop_key(s["id"], s["property"]) for s in self.inputs if isinstance(s, dict)]
        return [k for k in mine if k in keys]

    def payload(self, values: Mapping[str, object], changed: Sequence[str] | None = None) -> dict:
        """The request body, inputs and state valued from ``values`` ("id.prop" -> value; a prop
        without a value is sent without one, as the renderer sends an undefined prop). ``changed``
        defaults to the first input."""

        def valued(spec):
            if isinstance(spec, list):
                return [valued(s) for s in spec]
            value = values.get(prop_key(spec["id"], spec["property"]))
            return {**spec, **({} if value is None else {"value": value})}

        if changed is None:
            first = self.inputs[0] if isinstance(self.inputs[0], dict) else self.inputs[0][0]
            changed = [prop_key(first["id"], first["property"])]
        return {
            "output": self.output,
            "outputs": self.outputs if len(self.outputs) > 1 else self.outputs[0],
            "inputs": [valued(s) for s in self.inputs],
            "state": [valued(s) for s in self.state],
            "changedPropIds": list(changed),
            "parsedChangedPropsIds": list(changed),
        }

    def body(self, values: Mapping[str, object], changed: Sequence[str] | None = None) -> bytes:
        return json.dumps(self.payload(values, changed)).encode()


def callback(deps: list[dict], output_has: str, ids: Iterable[str | dict] = ()) -> Callback:
    """The (first) callback whose output string contains ``output_has``."""
    matches = [d for d in deps if output_has in d["output"]]
    assert matches, f"no callback outputs {output_has}"
    return Callback.of(matches[0], ids)


def decode(data: bytes, encoding: str | None) -> bytes:
    """A response body as sent with ``Content-Encoding: encoding`` -> its bytes."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        import zlib

        return zlib.decompress(data)
    if encoding == "br":
        import brotli  # installed with flask-compress

        return brotli.decompress(data)
    if encoding == "zstd":
        try:
            from compression import zstd  # Python 3.14
        except ImportError:
            from backports import zstd  # installed with flask-compress

        return zstd.decompress(data)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


class Client:
    """A tiny urllib client of one running app: its callback map and layout ids read once."""

    def __init__(self, base: str):
        self.base = base
        self.deps = json.loads(self.get("/_dash-dependencies")[1])
        self.ids = list(layout_props(json.loads(self.get("/_dash-layout")[1])))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def callback(self, output_has: str) -> dict:
        """The raw /_dash-dependencies entry whose output contains ``output_has``."""
        matches = [d for d in self.deps if output_has in d["output"]]
        assert matches, f"no callback outputs {output_has}"
        return matches[0]

    def payload(self, output_has: str, values: Mapping[str, object], changed: str | None = None) -> dict:
        """The request body dash-renderer sends for one callback (see ``call``)."""
        return Callback.of(self.callback(output_has), self.ids).payload(values, [changed] if changed else None)

    def call(self, output_has: str, values: Mapping[str, object], changed: str | None = None) -> tuple[int, dict | None]:
        """POST one callback with ``values`` for its inputs/state ("id.prop" -> value; others None)."""
        status, body = self.post(UPDATE, self.payload(output_has, values, changed))
        return status, (json.loads(body) if status == 200 and body else None)
