# One image for every copydesk service; the compose file picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 1000 copydesk
WORKDIR /app
# Every dependency at the lock's version and hash (Flower included, for the flower service):
# a layer that changes only when the lock does.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY copydesk ./copydesk
COPY shared ./shared
COPY services ./services
# The project alone: its dependencies are all in from the lock, and pip check proves it.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-deps . && pip check
COPY sources.example.toml ./sources.toml

USER 1000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["copydesk", "health"]
CMD ["copydesk", "worker", "all"]
