"""CityBrain operations cockpit (城市大脑运行驾驶舱): core package.

Modules, one job each:
- ``settings``  the one settings object (environment prefix ``CITYBRAIN_``)
- ``regions``   the five seed regions and their codes
- ``manifest``  dataset manifests (what a curated dataset declares)
- ``validate``  validation of data files and emitted frames against schemas
- ``tables``    the store's table definitions (DDL), the one place they live
- ``build``     building a new store file from ``datasets/`` and switching atomically
- ``store``     read side: connections, data version, parameterised queries
- ``queries``   the query functions dashboards, layers and exports call
- ``geo``       coordinate conversion (GCJ-02 <-> WGS-84)
- ``cli``       the ``citybrain`` console script
"""

__version__ = "0.1.0"
