"""The one table of inputs :meth:`crypto.Envelope.decode` must refuse, and how (§6).

Written into ``crypto/vectors.json`` (``envelope_rejections``) by :mod:`crypto.vectors`; the
Python tests and the browser tests both replay it, so the two decoders cannot drift apart. Each
case is built from the vectors' first (``prekey``) envelope by one edit, or is raw input.

A case in the file::

    {"name": "...", "input": INPUT, "error": "DecodeError", "message": "<exact str(error)>"}

    INPUT = {"text": s}                        the UTF-8 bytes of s
          | {"string": s}                      s itself, decoded as a string (what a relay
                                               frame's ``envelope`` is after JSON parsing); it
                                               may hold a lone surrogate, which has no UTF-8
          | {"hex": h}                         bytes that are not UTF-8
          | {"prefix": s, "repeat": u, "times": n, "suffix": t}
                                               s + u·n + t (prefix and suffix optional), so a
                                               100 kB input stays a line in the file

Both sides decode the *bytes* (or the string) and must raise the named class with exactly that
message. The file is written ASCII-only (``\\uXXXX`` escapes), so a lone surrogate survives.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .encoding import b64encode
from .envelope import Envelope
from .errors import DecodeError

__all__ = ["envelope_rejections", "input_bytes", "input_value"]

Json = dict[str, Any]
Edit = Callable[[Json], None]


def _set(path: str, value: Any) -> Edit:
    def edit(obj: Json) -> None:
        *parents, last = path.split(".")
        for part in parents:
            obj = obj[part]
        obj[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(obj: Json) -> None:
        *parents, last = path.split(".")
        for part in parents:
            obj = obj[part]
        del obj[last]

    return edit


def _sorted_dumps(obj: Json) -> str:
    # Canonical layout except for the edited value: floats and huge integers allowed.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


_EDITS: list[tuple[str, Edit]] = [
    ("unknown version", _set("v", 2)),
    ("version as string", _set("v", "1")),
    ("version as bool", _set("v", True)),
    ("version as null", _set("v", None)),
    ("missing version", _delete("v")),
    ("missing ciphertext", _delete("ct")),
    ("unknown field", _set("extra", 1)),
    ("bad type", _set("type", "hello")),
    ("prekey without x3dh", _delete("x3dh")),
    ("message with x3dh", _set("type", "message")),
    ("empty room", _set("room", "")),
    ("room too long", _set("room", "r" * 65)),
    ("room with slash", _set("room", "a/b")),
    ("room with newline", _set("room", "ab\n")),
    ("sender not a string", _set("sender", 5)),
    ("id with space", _set("id", "a b")),
    ("header not base64url", _set("header", "!!!!")),
    ("header padded", _set("header", "AAAA====")),
    ("header short", _set("header", b64encode(bytes(39)))),
    ("header non-canonical", _set("header", b64encode(bytes(40))[:-1] + "B")),
    ("header impossible length", _set("header", "AAAAA")),
    ("ct too short", _set("ct", b64encode(bytes(15)))),
    ("ct not string", _set("ct", 12)),
    ("commit short", _set("commit", b64encode(bytes(31)))),
    ("x3dh not object", _set("x3dh", [])),
    ("x3dh missing ek", _delete("x3dh.ek")),
    ("x3dh unknown", _set("x3dh.zz", 1)),
    ("x3dh ik short", _set("x3dh.ik", b64encode(bytes(31)))),
    ("x3dh spk negative", _set("x3dh.spk", -1)),
    ("x3dh spk too big", _set("x3dh.spk", 2**32)),
    ("x3dh opk bool", _set("x3dh.opk", False)),
    ("x3dh spk float", _set("x3dh.spk", 1.5)),
]

_RAW: list[tuple[str, Json]] = [
    ("empty", {"text": ""}),
    ("truncated", {"text": "{"}),
    ("not UTF-8", {"hex": "ff"}),
    ("not ASCII", {"text": '{"v":1,"room":"é"}'}),
    ("array", {"text": "[]"}),
    ("null", {"text": "null"}),
    ("NaN", {"text": '{"v":NaN}'}),
    ("-Infinity", {"text": '{"v":-Infinity}'}),
    ("exponent", {"text": '{"v":1e0}'}),
    ("float", {"text": '{"v":1.0}'}),
    ("leading zero", {"text": '{"v":01}'}),
    ("duplicate field", {"text": '{"v":1,"v":1}'}),
    ("nested duplicate field", {"text": '{"x":{"a":1,"a":2},"v":1}'}),
    ("trailing bytes", {"text": '{"v":1}x'}),
    ("control character", {"text": '{"v":"\u0001"}'}),
    ("bad escape", {"text": '{"v":"\\x"}'}),
    ("huge version", {"text": '{"v":99999999999999999999}'}),
    ("__proto__ key", {"text": '{"__proto__":1,"v":1}'}),
    ("over the wire limit", {"repeat": "[", "times": 100_000}),
    ("nested too deep", {"repeat": "[", "times": 5000}),
    ("huge number", {"prefix": '{"v":', "repeat": "9", "times": 5000, "suffix": "}"}),
    ("whitespace around", {"text": ' {"v" : 2} '}),
    # Strings: a hostile server's frame may carry "\ud800" (valid JSON, no UTF-8 form).
    ("lone surrogate string", {"string": "\ud800"}),
    ("lone surrogate inside a string", {"string": '{"v":1,"room":"\udfff"}'}),
    ("non-ASCII string", {"string": '{"v":1,"room":"é"}'}),
]


def input_value(spec: Json) -> bytes | str:
    """What to hand :meth:`Envelope.decode` for an ``input`` object: a string for
    ``{"string": s}``, bytes otherwise."""
    if "string" in spec:
        return str(spec["string"])
    return input_bytes(spec)


def input_bytes(spec: Json) -> bytes:
    """The bytes a ``text``, ``hex`` or ``repeat`` input stands for."""
    if "hex" in spec:
        return bytes.fromhex(str(spec["hex"]))
    if "repeat" in spec:
        text = str(spec.get("prefix", "")) + str(spec["repeat"]) * int(spec["times"])
        text += str(spec.get("suffix", ""))
        return text.encode("utf-8")
    return str(spec["text"]).encode("utf-8")


def _case(name: str, spec: Json) -> Json:
    try:
        Envelope.decode(input_value(spec))
    except DecodeError as exc:
        return {"name": name, "input": spec, "error": "DecodeError", "message": str(exc)}
    raise AssertionError(f"envelope rejection case {name!r} decoded")


def envelope_rejections(base: str) -> list[Json]:
    """Every rejection case, from ``base`` (an encoded ``prekey`` envelope)."""
    obj: Json = json.loads(base)
    cases = []
    for name, edit in _EDITS:
        edited = copy.deepcopy(obj)
        edit(edited)
        cases.append(_case(name, {"text": _sorted_dumps(edited)}))
    cases.append(_case("non-canonical whitespace", {"text": json.dumps(obj, sort_keys=True)}))
    reversed_keys = json.dumps(dict(reversed(list(obj.items()))), separators=(",", ":"))
    cases.append(_case("non-canonical key order", {"text": reversed_keys}))
    cases.append(_case("escaped key", {"text": base.replace('"v":1', '"\\u0076":1')}))
    cases += [_case(name, spec) for name, spec in _RAW]
    return cases
