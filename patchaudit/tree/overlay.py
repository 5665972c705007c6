"""A persistent map of changed files: a new version shares everything it does not change.

A series applies patch after patch to the previous tree state. Copying the
map of changed files for each patch kept patches x changed files entries
(20,000 patches that each add a file: 5 GB). This is a hash array mapped
trie: setting a path copies only the nodes on its way (a few small dicts),
every other node is shared with the previous version, and a version nobody
refers to any more is freed with what only it held.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Union

_BITS = 5  # 32 children a node
_MASK = (1 << _BITS) - 1
_HASH_BITS = 64  # hash() of a str, as an unsigned 64-bit number

# A node maps a slot to a leaf (path, content) or to the next node; past the
# last bits of the hash, paths whose hashes are equal share a bucket.
Content = Union[bytes, None]
_Leaf = tuple[str, Content]


class _Bucket(dict[str, Content]):
    """Paths whose 64-bit hashes are equal (a new bucket is made for each change)."""


_Child = Union[_Leaf, _Bucket, "_Node"]
_Node = dict[int, _Child]


def _hash(key: str) -> int:
    return hash(key) & ((1 << _HASH_BITS) - 1)


class Overlay(Mapping[str, Content]):
    """An immutable mapping path -> content (None: deleted); ``update`` returns a new one."""

    __slots__ = ("_root", "_size")

    def __init__(self) -> None:
        self._root: _Node = {}
        self._size = 0

    def __getitem__(self, key: str) -> Content:
        node = self._root
        h = _hash(key)
        shift = 0
        while True:
            child = node.get((h >> shift) & _MASK)
            if child is None:
                raise KeyError(key)
            if isinstance(child, tuple):
                if child[0] == key:
                    return child[1]
                raise KeyError(key)
            if isinstance(child, _Bucket):
                return child[key]
            node = child
            shift += _BITS

    def __iter__(self) -> Iterator[str]:
        pending = [self._root]
        while pending:
            for child in pending.pop().values():
                if isinstance(child, tuple):
                    yield child[0]
                elif isinstance(child, _Bucket):
                    yield from child
                else:
                    pending.append(child)

    def __len__(self) -> int:
        return self._size

    def update(self, changes: Mapping[str, Content], removed: frozenset[str] = frozenset()
               ) -> Overlay:
        """A new overlay with ``changes`` set and the paths in ``removed`` taken out."""
        root, size = self._root, self._size
        for key, value in changes.items():
            root, added = _set(root, key, _hash(key), 0, value)
            size += added
        for key in removed:
            if key in self:
                root = _remove(root, key, _hash(key), 0)
                size -= 1
        overlay = Overlay.__new__(Overlay)
        overlay._root = root
        overlay._size = size
        return overlay


def _set(node: _Node, key: str, h: int, shift: int, value: Content) -> tuple[_Node, bool]:
    """A copy of ``node`` with ``key`` set, and whether the key is new."""
    slot = (h >> shift) & _MASK
    copy = dict(node)
    child = node.get(slot)
    deeper = shift + _BITS
    if child is None:
        copy[slot] = (key, value)
        return copy, True
    if isinstance(child, tuple):
        if child[0] == key:
            copy[slot] = (key, value)
            return copy, False
        if deeper >= _HASH_BITS:  # every bit of the two hashes is equal
            copy[slot] = _Bucket({child[0]: child[1], key: value})
            return copy, True
        below, _ = _set({}, child[0], _hash(child[0]), deeper, child[1])
        copy[slot], _ = _set(below, key, h, deeper, value)
        return copy, True
    if isinstance(child, _Bucket):
        copy[slot] = _Bucket({**child, key: value})
        return copy, key not in child
    copy[slot], added = _set(child, key, h, deeper, value)
    return copy, added


def _remove(node: _Node, key: str, h: int, shift: int) -> _Node:
    """A copy of ``node`` without ``key`` (which it holds); an emptied node is dropped."""
    slot = (h >> shift) & _MASK
    copy = dict(node)
    child = node[slot]
    rest: _Child | None = None
    if isinstance(child, _Bucket):
        rest = _Bucket({k: v for k, v in child.items() if k != key}) or None
    elif not isinstance(child, tuple):
        rest = _remove(child, key, h, shift + _BITS) or None
    if rest is None:
        del copy[slot]
    else:
        copy[slot] = rest
    return copy


EMPTY = Overlay()
