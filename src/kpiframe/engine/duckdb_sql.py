"""DuckDB SQL from Ibis expressions, importing only Ibis' DuckDB compiler.

``ibis.to_sql`` imports ``ibis.backends.sql.compilers``, whose package imports
all twenty of Ibis' SQL compilers (Athena, BigQuery, Trino...): about 60 ms of
every run, for one dialect. The embedded fast path needs only DuckDB's, so the
package's modules are loaded without running its ``__init__`` first. The first
code that asks the package for anything else (a PostgreSQL source, ``ibis.to_sql``
for Spark) makes it run its ``__init__`` then, reusing what is already loaded.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

__all__ = ["duckdb_compiler", "to_duckdb_sql"]

_PACKAGE = "ibis.backends.sql.compilers"


def duckdb_compiler() -> Any:
    """Ibis' DuckDB compiler (its ``compiler`` instance)."""
    if _PACKAGE not in sys.modules:
        import ibis.backends.sql  # noqa: F401  (the parent package, which is light)

        spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or spec.loader is None:  # pragma: no cover - a broken Ibis install
            raise ImportError(_PACKAGE)
        shell = importlib.util.module_from_spec(spec)  # the package, its __init__ not run yet

        def complete(name: str) -> Any:
            # The first name the shell lacks (PostgresCompiler, say): run the real __init__
            # in it now, and from then on it is the whole package.
            del shell.__dict__["__getattr__"]
            spec.loader.exec_module(shell)  # type: ignore[union-attr]
            return getattr(shell, name)

        shell.__dict__["__getattr__"] = complete
        sys.modules[_PACKAGE] = shell
    from ibis.backends.sql.compilers.duckdb import compiler

    return compiler


def to_duckdb_sql(expr: Any) -> str:
    """The DuckDB SQL of an Ibis expression (what ``ibis.to_sql(expr, dialect="duckdb")`` gives)."""
    return str(duckdb_compiler().to_sqlglot(expr).sql(dialect="duckdb", pretty=True))
