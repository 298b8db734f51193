"""The store: the DuckDB catalog and Parquet parts every screen reads, how they are built, fed and switched.

- ``tables``   the store's tables, defined once (and the restricted fields);
- ``build``    build a new versioned file from ``datasets/``;
- ``ingest``   live batches into a copy of the current file; ``inbox`` watches a folder for them;
- ``files``    the versioned files: atomic switch of the link, the writer lock, leftovers of killed writers;
- ``parts``    ``observations`` and ``tracks`` as immutable Parquet parts the small catalog file lists;
- ``catalog``  one copy-on-write change of the catalog; ``compact`` merges parts and applies retention;
- ``restricted`` restricted values kept apart from the main tables;
- ``read``     the read side: resolve the link, pin one file per request, a cursor per query.

Everything outside this package uses the read side through the names below.
"""

from citybrain.store.read import (  # noqa: F401
    Columns,
    Reader,
    Snapshot,
    Store,
    StoreMissing,
    get_store,
    nrows,
    pin_scope,
    pinned,
)
