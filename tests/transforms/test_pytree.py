"""Pytrees: flatten and unflatten nested tuples, lists and dicts, leaves passing through."""

from __future__ import annotations

from collections import namedtuple

import pytest

import ad_core as ad
from ad_core.autograd.pytree import flatten, tree_map, unflatten

Pair = namedtuple("Pair", "left right")


@pytest.mark.parametrize("tree", [
    1.0, None, (), [], {}, (1, [2, 3]), {"a": 1, "b": (2, {"c": [3, None]})}, Pair(1, [2]),
    [(1,), {"x": ()}],
], ids=repr)
def test_unflatten_inverts_flatten(tree):
    leaves, structure = flatten(tree)
    assert unflatten(structure, leaves) == tree
    assert type(unflatten(structure, leaves)) is type(tree)


def test_dict_keys_are_visited_in_sorted_order_whatever_the_insertion_order():
    assert flatten({"b": 2, "a": 1})[0] == [1, 2]
    assert flatten({"b": 2, "a": 1})[1] == flatten({"a": 0, "b": 0})[1]


def test_keys_that_cannot_be_sorted_keep_their_insertion_order():
    assert flatten({1: "x", "a": "y"})[0] == ["x", "y"]


def test_tensors_are_leaves_and_other_values_pass_through():
    x = ad.tensor([1.0])
    leaves, _ = flatten({"w": x, "name": "layer", "n": 3})
    assert leaves[:2] == [3, "layer"] and leaves[2] is x       # keys n, name, w


def test_tree_map_applies_to_matching_leaves():
    assert tree_map(lambda a, b: a + b, {"a": (1, 2)}, {"a": (10, 20)}) == {"a": (11, 22)}


def test_tree_map_refuses_structures_that_differ():
    with pytest.raises(ValueError, match="structures differ"):
        tree_map(lambda a, b: a, (1, 2), [1, 2])


def test_unflatten_refuses_the_wrong_number_of_leaves():
    with pytest.raises(ValueError, match="3 leaves for a tree with 2"):
        unflatten(flatten((1, 2))[1], [1, 2, 3])
