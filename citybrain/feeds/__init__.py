"""Live feeds: four kinds (observations, tracks, events, entities) from files, the inbox, HTTP and MQTT.

``pipeline.ingest`` is the one way in; ``writer`` is the one place that writes the store.
"""
