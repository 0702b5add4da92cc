# One image for every copydesk service; the compose file picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY copydesk ./copydesk
COPY shared ./shared
COPY services ./services
# The project itself, with Flower for the compose flower service; pyproject.toml sets versions.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[monitor]" \
    && useradd --create-home --uid 1000 copydesk
COPY sources.example.toml ./sources.toml

USER 1000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["copydesk", "health"]
CMD ["copydesk", "worker", "all"]
