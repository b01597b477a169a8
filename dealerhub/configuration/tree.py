"""Pure helpers over nested configuration dicts addressed by dotted paths."""

from __future__ import annotations

import copy
from typing import Any

_MISSING = object()


def get_path(tree: dict[str, Any], path: str, default: Any = None) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def has_path(tree: dict[str, Any], path: str) -> bool:
    return get_path(tree, path, _MISSING) is not _MISSING


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON-merge-patch semantics: objects merge recursively, ``None`` removes a property,
    anything else replaces. Objects left empty are pruned."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            current = merged.get(key)
            child = deep_merge(current if isinstance(current, dict) else {}, value)
            if child:
                merged[key] = child
            else:
                merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (leaves only)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Leaf paths added, removed or changed between two trees (never the values)."""
    a, b = flatten(old), flatten(new)
    return sorted(p for p in a.keys() | b.keys() if a.get(p, _MISSING) != b.get(p, _MISSING))
