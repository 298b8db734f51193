"""The requests a browser's Dash renderer sends, made with ``requests`` (for load benchmarks).

``Page.open`` asks the page router (Dash Pages' ``_pages_content`` callback) for a page's layout,
as the renderer does after loading the shell, and keeps the props of every component with an id.
``Page.body`` builds the ``/_dash-update-component`` body of a callback from those props (its
inputs and states, pattern-matching ``ALL`` and ``MATCH`` ids resolved against the page);
``Page.fire`` posts it and takes the answered props back into the page, as the renderer would,
so that the next request sends what the browser would hold (e.g. a wall panel's signatures).
``initial`` lists the callbacks the renderer fires when the page appears.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from bench.common import Recorder

UPDATE = "/_dash-update-component"
ROUTER = ".._pages_content.children..._pages_store.data.."


def id_key(cid: Any) -> str:
    """A component id as Dash writes it in requests and answers (dict ids as sorted, compact JSON)."""
    return json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else str(cid)


def _walk(node: Any, out: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "id" in props:
            out[id_key(props["id"])] = props
        for v in node.values():
            _walk(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out)


def _matches(pattern: dict[str, Any], cid: Any, match: dict[str, Any]) -> bool:
    return isinstance(cid, dict) and cid.keys() == pattern.keys() and all(
        v == ["ALL"] or (v == ["MATCH"] and cid[k] == match.get(k)) or v == cid[k] for k, v in pattern.items())


class Page:
    """One page as the renderer holds it: the props of its components (see the module doc)."""

    def __init__(self, rec: Recorder, session: requests.Session, base: str, deps: list[dict[str, Any]]) -> None:
        self.rec, self.session, self.base = rec, session, base
        self.deps = {d["output"]: d for d in deps}
        self.props: dict[str, dict[str, Any]] = {}

    def open(self, kind: str, path: str, search: str = "") -> bool:
        """Render ``path`` through the page router (recorded as ``kind``); False on an error."""
        body = {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                              {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                           {"id": "_pages_location", "property": "search", "value": search}],
                "state": [], "changedPropIds": ["_pages_location.pathname"]}
        got = self.rec.request(self.session, kind, "POST", self.base + UPDATE, json=body)
        if got is None:
            return False
        self.props = {}
        _walk(json.loads(got)["response"]["_pages_content"]["children"], self.props)
        return True

    def output(self, fragment: str) -> str:
        """The output key of the app's callback whose key holds ``fragment``."""
        return next(k for k in self.deps if fragment in k)

    def ids(self, type_: str) -> list[dict[str, Any]]:
        """The dict ids on the page whose ``type`` is ``type_``."""
        return [json.loads(k) for k in self.props if k.startswith("{") and json.loads(k).get("type") == type_]

    def initial(self) -> list[str]:
        """Server callbacks the renderer fires when the page appears (all their plain inputs are on it)."""
        out = []
        for key, d in self.deps.items():
            plain = [i["id"] for i in d["inputs"] if not i["id"].startswith("{")]
            if plain and not d.get("prevent_initial_call") and not d.get("clientside_function") \
                    and all(i in self.props for i in plain):
                out.append(key)
        return out

    def _resolve(self, spec: dict[str, Any], match: dict[str, Any], values: dict[str, Any] | None) -> Any:
        raw, prop = spec["id"], spec["property"]

        def item(key: str, cid: Any) -> dict[str, Any]:
            got = {"id": cid, "property": prop}
            if values is not None:
                got["value"] = values.get(f"{key}.{prop}", self.props.get(key, {}).get(prop))
            return got

        if not raw.startswith("{"):
            return item(raw, raw)
        pattern = json.loads(raw)
        found = [item(k, json.loads(k)) for k in self.props if k.startswith("{") and _matches(pattern, json.loads(k), match)]
        return found if ["ALL"] in pattern.values() else (found[0] if found else item(id_key(match), match))

    def body(self, output: str, changed: list[str], match: dict[str, Any] | None = None,
             values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The request body of the callback ``output``; ``values`` ("<id key>.<prop>" -> value) replace
        what the page holds (a click, a tick), ``match`` fills ``MATCH`` wildcards."""
        d, match, values = self.deps[output], match or {}, values or {}
        outs = []
        for part in (output[2:-2].split("...") if output.startswith("..") else [output]):
            raw, prop = part.rsplit(".", 1)
            outs.append(self._resolve({"id": raw, "property": prop}, match, None))
        return {"output": output, "outputs": outs if output.startswith("..") else outs[0],
                "inputs": [self._resolve(s, match, values) for s in d["inputs"]],
                "state": [self._resolve(s, match, values) for s in d.get("state", [])], "changedPropIds": changed}

    def fire(self, kind: str, output: str, changed: list[str], match: dict[str, Any] | None = None,
             values: dict[str, Any] | None = None) -> bool:
        """Post the callback (recorded as ``kind``) and keep the props it answers; False on an error."""
        got = self.rec.request(self.session, kind, "POST", self.base + UPDATE, ok=(200, 204),
                               json=self.body(output, changed, match, values))
        if got is None:
            return False
        for key, props in (json.loads(got).get("response", {}) if got else {}).items():
            for prop, v in props.items():
                if not (isinstance(v, dict) and "__dash_patch_update" in v):
                    self.props.setdefault(key, {})[prop] = v
        return True
