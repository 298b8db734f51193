# CityBrain operations cockpit: slim image, CJK fonts, non-root, store built at image build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CITYBRAIN_HOST=0.0.0.0 CITYBRAIN_PORT=8050 CITYBRAIN_DB=/app/var/citybrain.duckdb

RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 citybrain
WORKDIR /app
COPY pyproject.toml README.md app.py gunicorn.conf.py ./
COPY citybrain ./citybrain
COPY dashboards ./dashboards
COPY layers ./layers
COPY datasets ./datasets
COPY assets ./assets
RUN pip install -e . \
 && mkdir -p /app/var \
 && citybrain build --no-progress \
 && chown -R citybrain:citybrain /app/var

USER citybrain
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8050/healthz').status == 200 else 1)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
