"""The Jinja environment every plan, report and calendar renders with: templates from the given folders,
undefined names an error, whitespace as the templates are written, and compiled templates cached.

The cache is Jinja's own FileSystemBytecodeCache (a folder per user under the system's temporary folder,
0700, refused when another user owns it): every check run renders its plan, so without it every run
compiles the same templates again (about 0.2 s of CPU). A template whose source changed is compiled
again; a folder that cannot be written only means no cache.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _bytecode_cache():
    import jinja2

    try:
        return jinja2.FileSystemBytecodeCache()
    except OSError:  # no writable temporary folder, or one owned by someone else
        return None


def environment(folders, autoescape, **filters):
    """A jinja2.Environment over FOLDERS (a path or a list); AUTOESCAPE as jinja2 takes it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(filters)
    return env
