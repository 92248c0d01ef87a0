"""The embedded DuckDB database and what is written into it.

- `database`: the connection, schema migrations (`_migrations.py`), transactions and helpers.
- `pages`: fetched playlist pages, one transaction per page, and resume bookkeeping.
- `calllog`: the log of every API call, committed with the data it belongs to.
"""
