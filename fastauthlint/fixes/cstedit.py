"""Adding and removing call arguments and dict entries the way a person would type them.

libcst keeps every untouched token as it was; what these helpers decide is the whitespace and
commas around what they add or remove, copied from the neighbours: a one-line call stays on one
line, a call with one argument per line gets one more line at the same indentation, a trailing
comma stays trailing, and a comment after an argument stays after that argument.

Arguments and dict elements are handled alike: a sequence of items, each with an optional comma
(`item.comma`), inside brackets. For arguments the whitespace before `)` after the last item
lives on the item (`Arg.whitespace_after_arg`); for dict elements it lives on the closing brace.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, TypeVar, Union

import libcst as cst

Item = TypeVar("Item", cst.Arg, cst.DictElement)
_Ws = Union[cst.SimpleWhitespace, cst.ParenthesizedWhitespace]


def _clean(ws: cst.BaseParenthesizableWhitespace) -> _Ws:
    """`ws` without its comment and blank lines: the shape of a separator, not its content."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return cst.SimpleWhitespace(" ")


def _separator(items: Sequence[Item], opening: cst.BaseParenthesizableWhitespace) -> cst.Comma:
    """The comma (and what follows it) between two items of this sequence."""
    for item in items[:-1]:
        if isinstance(item.comma, cst.Comma):
            return cst.Comma(whitespace_after=_clean(item.comma.whitespace_after))
    if isinstance(opening, cst.ParenthesizedWhitespace):  # one item, on its own line
        return cst.Comma(whitespace_after=_clean(opening))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _indent_like(ws: cst.BaseParenthesizableWhitespace, sep: cst.Comma) -> cst.BaseParenthesizableWhitespace:
    """`ws` (a line break before the closing bracket) now followed by another item: keep its
    comment, take the items' indentation."""
    if isinstance(ws, cst.ParenthesizedWhitespace) and isinstance(sep.whitespace_after, cst.ParenthesizedWhitespace):
        return ws.with_changes(last_line=sep.whitespace_after.last_line, indent=sep.whitespace_after.indent)
    return sep.whitespace_after


def _new_items(new: Sequence[Item], sep: cst.Comma, last_comma) -> List[Item]:
    added = [n.with_changes(comma=sep) for n in new]
    added[-1] = added[-1].with_changes(comma=last_comma)
    return added


def _merge_closing(note: object, closing: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The whitespace before the closing bracket once the item before it is gone: the comment
    after the item that is now last (`note`), then the closing bracket's indentation."""
    if isinstance(note, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
        return note.with_changes(last_line=closing.last_line, indent=closing.indent)
    return closing


# -- calls: the whitespace before `)` is the last argument's (after its comma, if any) ------------

def add_args(call: cst.Call, new: Sequence[cst.Arg], index: Optional[int] = None) -> cst.Call:
    """`call` with `new` arguments inserted before position `index` (default: at the end)."""
    args = list(call.args)
    if not new:
        return call
    if not args:
        return call.with_changes(args=_new_items(new, cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                                 cst.MaybeSentinel.DEFAULT))
    sep = _separator(args, call.whitespace_before_args)
    index = len(args) if index is None else index
    if index < len(args):
        return call.with_changes(args=args[:index] + [n.with_changes(comma=sep) for n in new] + args[index:])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # a trailing comma: the new last argument keeps one
        closing = last.comma.whitespace_after
        end = cst.Comma(whitespace_after=_clean(closing)) if isinstance(closing, cst.ParenthesizedWhitespace) \
            else last.comma
        last = last.with_changes(comma=last.comma.with_changes(whitespace_after=_indent_like(closing, sep)))
        added = _new_items(new, sep, end)
    else:
        closing = last.whitespace_after_arg
        added = _new_items(new, sep, cst.MaybeSentinel.DEFAULT)
        # `last  # note⏎)`: the note stays on last's line, after its new comma
        last = last.with_changes(comma=cst.Comma(whitespace_after=_indent_like(closing, sep)),
                                 whitespace_after_arg=cst.SimpleWhitespace(""))
        added[-1] = added[-1].with_changes(whitespace_after_arg=_clean(closing)
                                           if isinstance(closing, cst.ParenthesizedWhitespace) else closing)
    return call.with_changes(args=args[:-1] + [last] + added)


def remove_arg(call: cst.Call, index: int) -> cst.Call:
    args = list(call.args)
    gone = args.pop(index)
    if not args:
        return call.with_changes(args=[], whitespace_before_args=cst.SimpleWhitespace(""))
    if index < len(args):
        return call.with_changes(args=args)
    prev = args[-1]
    note = prev.comma.whitespace_after if isinstance(prev.comma, cst.Comma) else None
    if isinstance(gone.comma, cst.Comma):  # it had a trailing comma: the new last argument keeps one
        closing = _merge_closing(note, gone.comma.whitespace_after)
        args[-1] = prev.with_changes(comma=gone.comma.with_changes(whitespace_after=closing))
    else:
        args[-1] = prev.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                     whitespace_after_arg=_merge_closing(note, gone.whitespace_after_arg))
    return call.with_changes(args=args)


# -- dicts: the whitespace before `}` is the closing brace's, trailing comma or not ---------------

def add_elements(node: cst.Dict, new: Sequence[cst.DictElement]) -> cst.Dict:
    elements = list(node.elements)
    if not new:
        return node
    if not elements:
        return node.with_changes(elements=_new_items(new, cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                                     cst.MaybeSentinel.DEFAULT))
    sep = _separator(elements, node.lbrace.whitespace_after)
    closing = node.rbrace.whitespace_before
    last = elements[-1]
    trailing = isinstance(last.comma, cst.Comma)
    before = last.comma.whitespace_before if trailing else cst.SimpleWhitespace("")
    last = last.with_changes(comma=cst.Comma(whitespace_before=before, whitespace_after=_indent_like(closing, sep)))
    added = _new_items(new, sep, cst.Comma() if trailing else cst.MaybeSentinel.DEFAULT)
    rbrace = node.rbrace.with_changes(whitespace_before=_clean(closing)
                                      if isinstance(closing, cst.ParenthesizedWhitespace) else closing)
    return node.with_changes(elements=elements[:-1] + [last] + added, rbrace=rbrace)


def remove_element(node: cst.Dict, index: int) -> cst.Dict:
    elements = list(node.elements)
    gone = elements.pop(index)
    if not elements:
        return node.with_changes(elements=[], lbrace=cst.LeftCurlyBrace(), rbrace=cst.RightCurlyBrace())
    if index < len(elements):
        return node.with_changes(elements=elements)
    prev = elements[-1]
    note = prev.comma.whitespace_after if isinstance(prev.comma, cst.Comma) else None
    comma = cst.Comma() if isinstance(gone.comma, cst.Comma) else cst.MaybeSentinel.DEFAULT
    elements[-1] = prev.with_changes(comma=comma)
    rbrace = node.rbrace.with_changes(whitespace_before=_merge_closing(note, node.rbrace.whitespace_before))
    return node.with_changes(elements=elements, rbrace=rbrace)


def kwarg(name: str, value: str) -> cst.Arg:
    """`name=value` with `value` given as source text."""
    return cst.Arg(keyword=cst.Name(name), value=cst.parse_expression(value),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def element(key: str, value: str) -> cst.DictElement:
    return cst.DictElement(key=cst.parse_expression(key), value=cst.parse_expression(value))
