"""The operational database (运行库): what people write, apart from the analytic store.

The store (DuckDB) holds what the city measured; this database holds what the duty room does
about it: the life cycle of every alarm of the one alarm set and the work orders (工单) that close
the loop (GB/T 30428.8), the duty roster, the duty log and shift handovers. SQLite beside the store by default (WAL), PostgreSQL for several hosts,
through SQLAlchemy 2 Core with Alembic migrations.

- ``db``          the engine of one app (``AppContext.ops``), write transactions, ``ensure``
- ``tables``      the tables (alarm_states, alarm_events, silences, workorders, workorder_steps, api_tokens,
                  notifications)
- ``migrate``     Alembic upgrade to head (``citybrain db upgrade``, ``serve``, ``create_app``)
- ``errors``      the errors of an operation (403, 404, 409, 400 illegal step)
- ``body``        JSON request bodies validated field by field (400 naming the field)
- ``alarms``      raised → acknowledged → cleared, silences; synced with the alarm set
- ``rules``       the work-order state machine: steps, who may take them, time limits
- ``workorders``  create, transition (optimistic version), read, list
- ``escalation``  unacknowledged alarms go up a level, overdue urgent orders are announced (one check)
- ``notify``      webhook (JSON or DingTalk) and SMTP delivery in the background, recorded
- ``messages``    the words of notifications (Chinese first, region, alarm or order, link)
- ``caller``      who acts in this request (user, role, department)
- ``api``         the ``/api/v1`` routes
- ``duty``        the duty roster and the duty log
- ``handover``    the handover summary of a shift, as the event tables say it was
- ``dutyapi``     the ``/api/v1/duty`` routes
- ``loopkpi``     the KPIs of the loop (结案率, 按期结案率, 平均处置时长, 返工率), defined once
- ``loopviews``   their views (cards, tables by department, category, region) for the cockpits
- ``photos``      photos of a step: type by content, size limit, files named by SHA-256; ``photo_api`` their routes
- ``intake``      one order per new incident of the feed (idempotent; ``citybrain workorders from-incidents``)
- ``words``       the words of states and categories (zh/en)
- ``pgcluster``   a throwaway PostgreSQL server for tests and benchmarks
"""
