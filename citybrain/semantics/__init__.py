"""The one home of each meaning every screen shows (DESIGN.md §13).

- ``status``: a value against its warning/alarm thresholds and direction, colours and icons;
- ``freshness``: a feed against its cadence, measured against the one clock;
- ``scope``: which rows "a region" includes (the one SQL fragment);
- ``periods``: running periods (a day that is not over yet) and what they are compared with;
- ``alarms``: the alarm set of a region right now (header, /map, wall ticker, /api/v1/alarms).

Pages, the map, the wall, the API and exports call these and never re-derive them.
"""
