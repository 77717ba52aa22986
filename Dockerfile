# Hitoban webhook server. Build: docker build -t hitoban .
# Run:   docker run -p 8000:8000 --env-file .env -v hitoban-data:/app/data hitoban
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CONTENT_DIR=/app/content DATABASE_URL=sqlite:////app/data/hitoban.db \
    MODEL_CACHE_DIR=/app/models

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-compile . && useradd --system --uid 10001 --home /app hitoban \
    && mkdir -p /app/data && chown hitoban /app/data
COPY content ./content
# Train both models now, so a container starts from their cached arrays: no training and no
# scikit-learn import on a first start (which would also take it past 200 MB). Content
# mounted over /app/content retrains once into the same, writable, directory.
RUN echo "元気？" | python -m bot classify >/dev/null \
    && echo '{"text": "元気？"}' | python -m bot nudge >/dev/null \
    && chown -R hitoban /app/models

USER hitoban
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["python", "-m", "bot", "serve", "--host", "0.0.0.0", "--port", "8000"]
