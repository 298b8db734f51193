"""Warm, then publish: each new data version is served once what people watch is rebuilt for it.

Under live feeds a batch lands every few seconds and expires the cached pages that read what it
changed; without this package the next visitor of each page waits for its rebuild (and slows
every other request of the worker meanwhile). Instead:

- ``notes``   the workers note what people watch (a page for a region and language, a wall panel);
- ``kinds``   what each kind of note rebuilds (registered by the code that serves it);
- ``warmer``  a process beside gunicorn's workers: on each new version it rebuilds the things noted
              lately into the shared cache, then publishes the version;
- ``served``  the pointer it publishes in, which the workers' ``Store`` reads (with a bounded lag).

The warmer runs only on CPU the workers leave idle (``SCHED_IDLE``), so a busy server answers requests first
and publishes a little later; a version never waits longer than ``Settings.warm_lag_s``.
"""
