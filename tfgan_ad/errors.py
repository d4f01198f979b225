"""Turning TensorFlow's in-graph error messages into one readable line, and pointing
warnings at the user's own line."""

import re
import sys

import numpy as np

#: why a score is refused: NaN or ±inf, where huge finite inputs (3e38, or a count of 1e9
#: under mixed_float16) overflow the networks; NaN >= threshold is False, so the record
#: would otherwise be called normal
SCORE_NOT_FINITE = "the score is not finite: the features overflow the arithmetic of the networks"

#: the opening words of the preprocessing graph's unknown-category refusal, which
#: zoo.refusal recognises in the graph's error to quote the value from the line
UNKNOWN_CATEGORY_MESSAGE = "unknown category value(s) in column "


def shown(value: str, limit: int = 60) -> str:
    """``repr(value)`` for an error message (quotes show leading or trailing spaces and
    control characters), cut to ``limit`` characters with the full length said, so a
    200,000-character field does not become a 200,000-character message."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value):,} characters)"


def non_finite_scores(scores) -> list[tuple[int, str]]:
    """``(row, reason)`` of each NaN or infinite score, in row order (the reason says which,
    as the exported graph's own check does)."""
    scores = np.asarray(scores)
    return [(int(i), f"{SCORE_NOT_FINITE} ({'NaN' if np.isnan(scores[i]) else 'Inf'})")
            for i in np.flatnonzero(~np.isfinite(scores))]


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` in the function calling this one that
    names the first frame outside the tfgan_ad package (by module name, so an install
    anywhere, a notebook cell or ``python -c`` all count as the user's), however deep
    the library's own calls go."""
    try:
        frame = sys._getframe(2)  # the warning function's caller (stacklevel 2)
    except ValueError:  # no Python frame above it (a bare thread)
        return 2
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "tfgan_ad":
        frame, level = frame.f_back, level + 1
    return level


def assertion_text(message: str) -> str:
    """The in-graph assertion's own words out of TensorFlow's and Keras' wrapping."""
    if "\x1b[1m" in message:  # Keras wraps the original message in bold
        message = message.split("\x1b[1m", 1)[1].split("\x1b[0m", 1)[0]
    # tf.debugging.assert_all_finite: "Graph execution error: Detected at node X defined
    # at (most recent call last): <a traceback> <the message> : Tensor had NaN values
    # {{node X}}]]": keep the message and what it found
    # (found by its literal marker, then back to the line's start: a lazy pattern that
    # starts at every character is quadratic, 226 s on a 200,000-character field)
    finite = re.search(r" : Tensor had (\w+) values", message)
    if finite:
        head = message[:finite.start()]
        head = head[max(head.rfind("\n"), head.rfind(">")) + 1:]
        return f"{head.strip()} ({finite.group(1)})"
    # any other graph error: "Graph execution error: Detected at node X defined at (most
    # recent call last): <a traceback or '<stack traces unavailable>'> <the message>"
    message = re.sub(r"^.*<stack traces unavailable>", "", message, flags=re.S)
    # tf.debugging.Assert: "... assertion failed: [<text>] [<values>] {{node X}}]]"
    asserted = False
    for marker in ("Summarized data:", "assertion failed:"):
        if marker in message:
            message, asserted = message.split(marker, 1)[1], True
    message = re.sub(r"\{\{(function_)?node [^}]*\}\}|\[Op:\w+\]( name:)?", "", message)
    message = re.sub(r"b(['\"])(.*?)\1", r"\2", message).replace("\\'", "'")
    message = message.replace("[[", " ").replace("]]", " ")
    if asserted:  # each datum of the assertion is printed in brackets
        message = re.sub(r"\[([^\[\]]*)\]", r"\1", message)
    return " ".join(message.split())[:600]
