"""Each test builds its own app, and werkzeug compiles a URL builder for each of the app's
~60 rules every time (Python source built as an AST, then compiled): most of `create_app`'s
time. The builder a rule gets depends only on the rule's text, its defaults and whether it
appends unknown arguments, and reads its converters through the rule it is bound to, so one
compiled builder serves every app of the session. Tests only."""

from werkzeug.routing.rules import Rule

_original = Rule._compile_builder
_BUILDERS: dict = {}


def _cached_compile_builder(self, append_unknown: bool = True):
    key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
           append_unknown)
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _original(self, append_unknown)
    return builder


def share_url_builders() -> None:
    Rule._compile_builder = _cached_compile_builder
