"""The one place that imports `audioop`, so its deprecation warning is silenced once.

`audioop` is stdlib C code on 3.11/3.12 and comes from the `audioop-lts` wheel on 3.13+;
per-packet work must stay in C (see docs/decisions.md, Media).
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

__all__ = ["audioop"]
