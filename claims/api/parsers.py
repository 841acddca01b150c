"""Request body parsers for the API."""

import io
import re
from itertools import accumulate

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Far deeper than any body the API takes (two levels), far below where Python's parser
# recurses out of stack (about 1,000 on the default recursion limit).
MAX_JSON_DEPTH = 100

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body):
    """How deeply the JSON text `body` (bytes) nests, counted without parsing it: brackets
    inside strings are dropped first, then the running total of opening minus closing ones
    peaks at the depth."""
    brackets = _BRACKET.findall(_STRING.sub(b"", body))
    return max(accumulate(_STEP[b[0]] for b in brackets), default=0)


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_JSON_DEPTH with a 400
    before the standard parser recurses into it (`[` x 100,000 raised RecursionError: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ParseError(
                f"JSON parse error - the body is nested deeper than {MAX_JSON_DEPTH} levels."
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)
